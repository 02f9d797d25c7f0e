// GitHub sign-in (OAuth 2.0 with PKCE, the email from /user/emails) through the real handlers,
// against a loopback fake of GitHub's documented endpoints (tests/support/github.ts).
import { signUp, uniqueEmail } from '../support/accounts';
import { invoke } from '../support/app';
import { type FakeGitHub, startFakeGitHub } from '../support/github';
import {
  API_URL,
  APP_URL,
  deliver,
  fragmentOf,
  oauthHandlers,
  pkce,
  signInAtProvider,
  start,
} from '../support/oauth';

let github: FakeGitHub;
let h: ReturnType<typeof oauthHandlers>['h'];
let nextId = 1000 + Math.floor(Math.random() * 1_000_000);

beforeAll(async () => {
  github = await startFakeGitHub({ clientId: 'gh-client', clientSecret: 'gh-secret' });
  ({ h } = oauthHandlers({
    API_URL,
    APP_URL,
    OAUTH_GITHUB_CLIENT_ID: 'gh-client',
    OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
    OAUTH_GITHUB_URL: github.url,
    OAUTH_GITHUB_API_URL: `${github.url}/api`,
    RATE_LIMIT_OAUTH_PER_IP: '1000/60',
  }));
});
afterAll(async () => {
  await github?.close();
});

/** Signs in as `emails` (GitHub's list): the fragment and the verifier. */
async function asGitHubUser(emails: FakeGitHub['user']['emails'], id = nextId++) {
  github.user = { id, login: `user${id}`, name: null, emails };
  const { verifier, challenge } = pkce();
  const answer = await signInAtProvider(await start(h.start, 'github', challenge), 'cancel');
  return { fragment: fragmentOf(await deliver(h, answer)), verifier, id };
}

const redeem = (code: string, codeVerifier: string) =>
  invoke(h.signIn, { method: 'POST', path: '/sessions/oauth', body: { code, codeVerifier } });

test('the primary, verified address signs up; the subject is the numeric user id; PKCE S256 at GitHub too', async () => {
  github.requests.length = 0;
  const email = uniqueEmail('gh');
  const { fragment, verifier } = await asGitHubUser([{ email, primary: true, verified: true }]);
  const res = await redeem(fragment.code as string, verifier);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    user: { email, emailVerified: true, name: expect.stringMatching(/^user\d+$/) },
    created: true,
  });
  const authorize = github.requests.find((r) => r.path === '/login/oauth/authorize');
  expect(authorize?.params).toMatchObject({ code_challenge_method: 'S256', scope: 'read:user user:email' });
  // One token request, then /user and /user/emails.
  expect(github.requests.map((r) => r.path)).toEqual([
    '/login/oauth/authorize',
    '/login/oauth/access_token',
    '/api/user',
    '/api/user/emails',
  ]);
});

test('an unverified primary address never counts as verified: taken → link_required, nothing linked', async () => {
  const account = await signUp(h.register, { tag: 'gh-taken' });
  const { fragment } = await asGitHubUser([{ email: account.email, primary: true, verified: false }]);
  expect(fragment).toEqual({ error: 'link_required' });
});

test('a verified but non-primary address never counts: the primary one is used', async () => {
  const account = await signUp(h.register, { tag: 'gh-secondary' });
  const primary = uniqueEmail('gh-primary');
  const { fragment, verifier } = await asGitHubUser([
    { email: account.email, primary: false, verified: true },
    { email: primary, primary: true, verified: false },
  ]);
  const res = await redeem(fragment.code as string, verifier);
  expect(res.body.user).toMatchObject({ email: primary, emailVerified: false });
  expect(res.body.user.id).not.toBe(account.id);
});

test('no primary address → #error=email_required', async () => {
  const { fragment } = await asGitHubUser([{ email: uniqueEmail('gh'), primary: false, verified: true }]);
  expect(fragment).toEqual({ error: 'email_required' });
});

test('a code GitHub refuses (a wrong verifier on its side) → #error=oauth_failed', async () => {
  github.user = {
    id: nextId++,
    login: 'x',
    name: null,
    emails: [{ email: uniqueEmail('gh'), primary: true, verified: true }],
  };
  const { challenge } = pkce();
  const answer = await signInAtProvider(await start(h.start, 'github', challenge), 'cancel');
  answer.params.set('code', 'not-a-code');
  expect(fragmentOf(await deliver(h, answer))).toEqual({ error: 'oauth_failed' });
});
