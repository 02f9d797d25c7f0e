import * as getProfile from '../../functions/get-profile';
import * as jwks from '../../functions/jwks';
import { invoke, testServices } from '../support/app';

const services = testServices({ CORS_ALLOWED_ORIGINS: 'http://app.example,https://admin.example' });

test.each([
  ['http://app.example', 'http://app.example'],
  ['https://admin.example', 'https://admin.example'],
  ['http://evil.example', undefined],
])('origin %s → Access-Control-Allow-Origin %s', async (origin, allowed) => {
  const response = await invoke(jwks.createHandler(services), {
    method: 'GET',
    path: '/.well-known/jwks.json',
    headers: { origin },
  });
  expect(response.status).toBe(200);
  expect(response.headers['access-control-allow-origin']).toBe(allowed);
});

test('error responses carry the CORS and security headers too', async () => {
  const response = await invoke(getProfile.createHandler(services), {
    method: 'GET',
    path: '/users/me',
    headers: { origin: 'http://app.example' },
  });
  expect(response.status).toBe(401);
  expect(response.headers['access-control-allow-origin']).toBe('http://app.example');
  expect(response.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
});
