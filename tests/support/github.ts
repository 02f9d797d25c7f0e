import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A GitHub user as the fake answers `/user` and `/user/emails`. */
export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface FakeGitHub {
  /** The web origin (OAUTH_GITHUB_URL); the API is at `${url}/api` (OAUTH_GITHUB_API_URL). */
  url: string;
  /** Who approves the next authorization. */
  user: GitHubUser;
  requests: Array<{ method: string; path: string; params: Record<string, string> }>;
  close(): Promise<void>;
}

const read = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * GitHub's OAuth web flow and the two REST calls the service makes, as GitHub documents them:
 * authorize (approved at once for `user`), the token exchange (client secret and PKCE checked:
 * S256 only), `/user` and `/user/emails` with the access token. Loopback only.
 */
export async function startFakeGitHub(client: {
  clientId: string;
  clientSecret: string;
}): Promise<FakeGitHub> {
  const codes = new Map<string, { challenge: string; redirectUri: string; user: GitHubUser }>();
  const tokens = new Map<string, GitHubUser>();
  const fake: Omit<FakeGitHub, 'url' | 'close'> = {
    user: { id: 1, login: 'octocat', name: 'The Octocat', emails: [] },
    requests: [],
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(await read(req))) : {};
      const params = { ...Object.fromEntries(url.searchParams), ...form };
      fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, params });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/login/oauth/authorize') {
        if (params.client_id !== client.clientId || params.code_challenge_method !== 'S256')
          return json(400, {});
        const code = randomBytes(10).toString('hex');
        codes.set(code, {
          challenge: params.code_challenge ?? '',
          redirectUri: params.redirect_uri ?? '',
          user: structuredClone(fake.user),
        });
        const back = new URL(params.redirect_uri ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', params.state ?? '');
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
        const grant = codes.get(form.code ?? '');
        codes.delete(form.code ?? '');
        const verified =
          grant &&
          form.client_id === client.clientId &&
          form.client_secret === client.clientSecret &&
          form.redirect_uri === grant.redirectUri &&
          createHash('sha256')
            .update(form.code_verifier ?? '')
            .digest('base64url') === grant.challenge;
        if (!verified) return json(400, { error: 'bad_verification_code' });
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (url.pathname.startsWith('/api/') && !user) return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/api/user' && user)
        return json(200, { id: user.id, login: user.login, name: user.name });
      if (url.pathname === '/api/user/emails' && user)
        return json(
          200,
          user.emails.map((e) => ({ ...e, visibility: null })),
        );
      json(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
