// Compile-time checks of the client that openapi-typescript and openapi-fetch generate from the
// served document (tests/types/openapi.d.ts, kept current by tests/unit/openapi-types.test.ts).
// `npm run typecheck` fails if a request body stops being an exact object type.
import createClient from 'openapi-fetch';
import type { paths } from './openapi';

type Body<P extends keyof paths, M extends 'post' | 'patch' | 'put' | 'delete'> =
  NonNullable<paths[P][M] extends { requestBody?: infer R } ? R : never> extends {
    content: { 'application/json': infer B };
  }
    ? B
    : never;

const client = createClient<paths>({ baseUrl: 'http://localhost:3000' });

export async function bodiesAreExact(): Promise<void> {
  const rename: Body<'/users/me', 'patch'> = { name: 'Ada' };
  // @ts-expect-error a misspelt member is refused at compile time
  const misspelt: Body<'/users/me', 'patch'> = { nmae: 'x' };
  // @ts-expect-error so is a member the API does not take
  const extra: Body<'/users', 'post'> = { name: 'Ada', email: 'a@example.com', password: 'p', id: 'x' };
  // @ts-expect-error and a missing required one
  const missing: Body<'/password-resets/confirm', 'post'> = { token: 't' };
  await client.PATCH('/users/me', { body: rename });
  void [misspelt, extra, missing];
}
