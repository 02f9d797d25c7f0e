// Compile-time check that a client generated from the served document (tests/types/openapi.d.ts)
// runs both passkey ceremonies with @simplewebauthn/browser and no cast: the options the API
// answers are what the browser library takes, and what it hands back is what the API takes.
// `npm run typecheck` compiles it; nothing runs it.
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import createClient from 'openapi-fetch';
import type { paths } from './openapi';

const client = createClient<paths>({ baseUrl: 'http://localhost:3000' });

export async function registerAPasskey(accessToken: string): Promise<void> {
  const headers = { Authorization: `Bearer ${accessToken}` };
  const { data } = await client.POST('/users/me/passkeys/options', { headers, body: {} });
  if (!data) return;
  const response = await startRegistration({ optionsJSON: data.options });
  await client.POST('/users/me/passkeys', { headers, body: { response, name: 'Laptop' } });
}

export async function logInWithAPasskey(): Promise<void> {
  const { data } = await client.POST('/sessions/passkey/options');
  if (!data) return;
  const response = await startAuthentication({ optionsJSON: data.options });
  await client.POST('/sessions/passkey', { body: { response } });
}

type Json<P extends keyof paths> = paths[P]['post'] extends {
  responses: { 200: { content: { 'application/json': infer B } } };
}
  ? B
  : never;
type Body<P extends keyof paths> =
  NonNullable<paths[P]['post'] extends { requestBody?: infer R } ? R : never> extends {
    content: { 'application/json': infer B };
  }
    ? B
    : never;

export function theTypesMeetBothWays(
  creation: Json<'/users/me/passkeys/options'>,
  request: Json<'/sessions/passkey/options'>,
  registration: RegistrationResponseJSON,
  authentication: AuthenticationResponseJSON,
): void {
  const createOptions: PublicKeyCredentialCreationOptionsJSON = creation.options;
  const getOptions: PublicKeyCredentialRequestOptionsJSON = request.options;
  const add: Body<'/users/me/passkeys'> = { response: registration };
  const logIn: Body<'/sessions/passkey'> = { response: authentication };
  // @ts-expect-error the two ceremonies' options are not interchangeable (typed, not `unknown`)
  const swapped: PublicKeyCredentialCreationOptionsJSON = request.options;
  // @ts-expect-error nor are their answers: a registration has no signature
  const wrong: Body<'/sessions/passkey'> = { response: registration };
  void [createOptions, getOptions, add, logIn, swapped, wrong];
}

export async function theDocumentIsTyped(): Promise<void> {
  const { data } = await client.GET('/openapi.json');
  if (!data) return;
  const version: string = data.openapi;
  const title: string = data.info.title;
  const operations: string[] = Object.keys(data.paths);
  void [version, title, operations];
}
