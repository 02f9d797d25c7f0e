// Social log-in through the real handlers against the local identity provider (dev/identity-provider.ts,
// oidc-provider on a loopback port): the flow, every security check, the linking rules, races.
import type { LocalIdentityProvider } from '../../dev/identity-provider';
import { uniqueEmail } from '../support/accounts';
import { invoke } from '../support/app';
import {
  deliver,
  fragmentOf,
  oauthHandlers,
  pkce,
  signInAtProvider,
  start,
  startTwin,
  twinEnv,
} from '../support/oauth';

let twin: LocalIdentityProvider;
let h: ReturnType<typeof oauthHandlers>['h'];

beforeAll(async () => {
  twin = await startTwin();
  ({ h } = oauthHandlers(twinEnv(twin)));
});
afterAll(async () => {
  await twin?.close();
});

/** A whole sign-in: start, the provider's page, the callback; answers the fragment and the verifier. */
async function socialSignIn(provider: string, account: { email: string; name: string; emailVerified: boolean; subject?: string }) {
  const { verifier, challenge } = pkce();
  const url = await start(h.start, provider, challenge);
  const answer = await signInAtProvider(url, account);
  return { fragment: fragmentOf(await deliver(h, answer)), verifier };
}

const redeem = (code: string, codeVerifier: string) =>
  invoke(h.signIn, { method: 'POST', path: '/sessions/oauth', body: { code, codeVerifier } });

test('a new identity creates an account; the same subject again signs in to it; created tells them apart', async () => {
  const email = uniqueEmail('social');
  const first = await socialSignIn('oidc', { email, name: 'Ada Lovelace', emailVerified: true });
  const one = await redeem(first.fragment.code as string, first.verifier);
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({
    user: { email, name: 'Ada Lovelace', emailVerified: true },
    created: true,
  });
  const second = await socialSignIn('oidc', { email, name: 'Ada Lovelace', emailVerified: true });
  const two = await redeem(second.fragment.code as string, second.verifier);
  expect(two.status).toBe(200);
  expect(two.body.created).toBe(false);
  expect(two.body.user.id).toBe(one.body.user.id);
  const me = await invoke(h.me, { method: 'GET', path: '/users/me', token: two.body.session.accessToken });
  expect(me.body.user.id).toBe(one.body.user.id);
});
