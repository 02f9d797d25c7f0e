// The passkey ceremonies as the OpenAPI document types them (GET /openapi.json, build/openapi.ts):
// the options the handlers answer are exactly the documented WebAuthn JSON, and a ceremony's
// answer — the software authenticator's, shaped as a browser's `PublicKeyCredential.toJSON()` —
// is a documented request body that the handlers take.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../build/openapi';
import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { signUpVerified } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';
import { createHandlers } from '../support/handlers';
import { OpenApiCheck } from '../support/openapi-check';

const APP_URL = 'https://app.example.com';
const services = testServices({ APP_URL });
const h = createHandlers(services);
const document = buildOpenApiDocument() as { components: { schemas: Record<string, unknown> } };
const check = new OpenApiCheck(document);
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
ajv.addSchema({ $id: 'openapi.json', components: { schemas: document.components.schemas } });
const body = (id: string) => ajv.compile({ $ref: `openapi.json#/components/schemas/${id}` });

/** `res` as the wire carried it, for the document's checker. */
const wire = (res: Response) => ({
  status: res.status,
  headers: new Headers(res.headers),
  text: JSON.stringify(res.body),
});

test('a registration and a log-in: documented options in, documented answers out', async () => {
  const account = await signUpVerified(h, services, { tag: 'passkey-openapi' });
  const authenticator = new SoftAuthenticator();

  // Registration: the creation options are the documented PasskeyRegistrationOptions …
  const creation = await invoke(h.passkeyRegistrationOptions, {
    method: 'POST',
    path: '/users/me/passkeys/options',
    token: account.token,
  });
  expect(check.problems('POST', '/users/me/passkeys/options', wire(creation))).toEqual([]);
  // … and the answer a documented AddPasskeyBody, which the handler takes.
  const registration = { response: authenticator.register(creation.body.options, APP_URL), name: 'Laptop' };
  expect(body('AddPasskeyBody')(registration)).toBe(true);
  const added = await invoke(h.addPasskey, {
    method: 'POST',
    path: '/users/me/passkeys',
    token: account.token,
    body: registration,
  });
  expect(check.problems('POST', '/users/me/passkeys', wire(added))).toEqual([]);
  expect(added.status).toBe(201);

  // Log-in: the same, with the request options and the assertion.
  const request = await invoke(h.passkeyLoginOptions, { method: 'POST', path: '/sessions/passkey/options' });
  expect(check.problems('POST', '/sessions/passkey/options', wire(request))).toEqual([]);
  const logIn = { response: authenticator.authenticate(request.body.options, APP_URL) };
  expect(body('PasskeyLoginBody')(logIn)).toBe(true);
  const loggedIn = await invoke(h.passkeyLogin, { method: 'POST', path: '/sessions/passkey', body: logIn });
  expect(check.problems('POST', '/sessions/passkey', wire(loggedIn))).toEqual([]);
  expect(loggedIn.status).toBe(200);
});

test('the documented answers are typed: a registration is not a log-in’s answer, nor the other way', () => {
  const authenticator = new SoftAuthenticator();
  const registration = authenticator.register(
    { challenge: 'A'.repeat(43), rp: { id: 'app.example.com' }, user: { id: 'dXNy' } },
    APP_URL,
  );
  const assertion = authenticator.authenticate(
    { challenge: 'A'.repeat(43), rpId: 'app.example.com' },
    APP_URL,
  );
  expect(body('RegistrationResponseJSON')(registration)).toBe(true);
  expect(body('AuthenticationResponseJSON')(assertion)).toBe(true);
  expect(body('PasskeyLoginBody')({ response: registration })).toBe(false);
  expect(body('AddPasskeyBody')({ response: assertion })).toBe(false);
  expect(body('AddPasskeyBody')({ response: {} })).toBe(false);
});
