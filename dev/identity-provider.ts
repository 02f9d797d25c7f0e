// The local identity provider: a real OpenID Connect provider (`oidc-provider`, the certified
// implementation by the author of `jose` and `oauth4webapi`) on a loopback port, with a small
// sign-in page of our own in front of it: the developer types the email and name to sign in as and
// ticks "email verified". `npm start` turns the API's `oidc` slot on with it; the tests use the same
// one, and read its request log to see what the service sent.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { exportJWK, generateKeyPair, type JWK, jwtVerify } from 'jose';

/** A client the provider knows: the API's client for one provider slot. */
export interface LocalClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /**
   * Apple's way: the client secret is an ES256 JWT signed by this key (its PEM public key); the
   * provider checks it and then treats the client as an ordinary one.
   */
  jwtSecretKey?: string;
}

/** One request the provider received: what the service sent (form members of a POST included). */
export interface ProviderRequest {
  method: string;
  path: string;
  params: Record<string, string>;
}

/** Who signs in, as the sign-in page (or a test) says. */
export interface LocalAccount {
  email: string;
  name: string;
  emailVerified: boolean;
  /** The subject; default: derived from the email, so one email is one identity. */
  subject?: string;
}

export interface LocalIdentityProvider {
  issuer: string;
  port: number;
  /** Every request, oldest first (tests read it, then clear it). */
  requests: ProviderRequest[];
  /** The private JWK that signs ID tokens (tests forge tokens with it). */
  signingKey: JWK;
  /**
   * Test hooks on the token endpoint: `tamper` rewrites its JSON answer; `hang` never answers.
   */
  faults: { tamper?: (body: Record<string, unknown>) => Promise<Record<string, unknown>>; hang?: boolean };
  close(): Promise<void>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const subjectOf = (email: string) =>
  `local-${createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 24)}`;

function signInPage(uid: string, clientId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0}input[type=email],input[type=text]{width:100%;padding:.4rem;font:inherit}
button{padding:.5rem 1rem;font:inherit}small{color:#666}</style></head>
<body><h1>Local identity provider</h1>
<p><small>Development only. Sign in to <code>${escapeHtml(clientId)}</code> as anyone: no password.</small></p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Email <input type="email" name="email" required autofocus></label>
<label>Name <input type="text" name="name"></label>
<label><input type="checkbox" name="email_verified" value="true" checked> Email verified</label>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>
</body></html>`;
}

/** What `loadExistingGrant` reads of oidc-provider's context. */
interface GrantContext {
  oidc: {
    provider: {
      Grant: new (init: {
        clientId: string;
        accountId: string;
      }) => {
        addOIDCScope(scope: string): void;
        save(): Promise<string>;
      };
    };
    client: { clientId: string };
    session: { accountId: string };
  };
}

/** What the request-log middleware reads and writes of Koa's context. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string>;
  req: IncomingMessage;
  status: number;
  body: unknown;
}

/** Runs `work` with oidc-provider's start-up warnings dropped from the console. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/^oidc-provider WARNING: (Unsupported runtime|a quick start development-only)/.test(String(args[0])))
      warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the provider on `port` (0: a free one) of `host`. Its issuer is `http://<host>:<port>`
 * exactly, so discovery's issuer check passes.
 */
export async function startIdentityProvider(options: {
  port?: number;
  host?: string;
  clients: LocalClient[];
}): Promise<LocalIdentityProvider> {
  const host = options.host ?? '127.0.0.1';
  // Its two start-up warnings (Node 20 is not its supported LTS; the in-memory store) say what this
  // local twin already is: kept off the console, every other message is passed on.
  const { default: Provider } = await quietly(() => import('oidc-provider'));
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'local-1', alg: 'RS256', use: 'sig' };
  const accounts = new Map<string, LocalAccount>();
  const requests: ProviderRequest[] = [];
  const faults: LocalIdentityProvider['faults'] = {};
  const jwtKeys = new Map<string, KeyObject>(
    options.clients.flatMap((c) => (c.jwtSecretKey ? [[c.clientId, createPublicKey(c.jwtSecretKey)]] : [])),
  );

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  const provider = await quietly(
    async () =>
      new Provider(issuer, {
        clients: options.clients.map((c) => ({
          client_id: c.clientId,
          client_secret: c.clientSecret,
          redirect_uris: c.redirectUris,
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_post',
        })),
        jwks: { keys: [signingKey] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        // The ID token carries the claims (the service reads them there, as from Google or Apple).
        conformIdTokenClaims: false,
        features: { devInteractions: { enabled: false } },
        pkce: { required: () => true },
        responseModes: ['query', 'form_post'],
        cookies: { keys: ['local-identity-provider'] },
        ttl: {
          AccessToken: 600,
          AuthorizationCode: 60,
          Grant: 600,
          IdToken: 600,
          Interaction: 600,
          Session: 600,
        },
        interactions: {
          url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
        },
        // A first-party client: no consent screen, every requested scope granted.
        async loadExistingGrant(ctx: GrantContext) {
          const grant = new ctx.oidc.provider.Grant({
            clientId: ctx.oidc.client.clientId,
            accountId: ctx.oidc.session.accountId,
          });
          grant.addOIDCScope('openid email profile');
          await grant.save();
          return grant;
        },
        async findAccount(_ctx: unknown, id: string) {
          const account = accounts.get(id);
          if (!account) return undefined;
          return {
            accountId: id,
            // No email typed: no email claim at all (a provider that shares none).
            claims: () => ({
              sub: id,
              ...(account.email ? { email: account.email, email_verified: account.emailVerified } : {}),
              ...(account.name ? { name: account.name } : {}),
            }),
          };
        },
      } as never),
  );
  provider.proxy = false;

  // The request log, and Apple's JWT client secret checked and swapped for the static one.
  provider.use(async (ctx: KoaContext, next: () => Promise<void>) => {
    const entry: ProviderRequest = { method: ctx.method, path: ctx.path, params: { ...ctx.query } };
    if (ctx.method === 'POST' && ctx.path === '/token') {
      const form = Object.fromEntries(new URLSearchParams(await readBody(ctx.req)));
      entry.params = { ...entry.params, ...form };
      const key = jwtKeys.get(form.client_id ?? '');
      if (key && form.client_secret) {
        const client = options.clients.find((c) => c.clientId === form.client_id);
        try {
          await jwtVerify(form.client_secret, key, {
            algorithms: ['ES256'],
            subject: form.client_id,
            audience: issuer,
          });
          form.client_secret = client?.clientSecret ?? '';
        } catch {
          form.client_secret = 'invalid';
        }
      }
      // The form goes on to the provider as a fresh stream (it reads and checks the body itself).
      const text = Buffer.from(new URLSearchParams(form).toString());
      const original = ctx.req;
      original.headers['content-length'] = String(text.length);
      ctx.req = Object.assign(Readable.from([text], { objectMode: false }) as unknown as IncomingMessage, {
        headers: original.headers,
        socket: original.socket,
        method: original.method,
        url: original.url,
      });
    }
    requests.push(entry);
    if (ctx.path === '/token' && faults.hang) return new Promise<void>(() => undefined);
    await next();
    if (
      ctx.path === '/token' &&
      faults.tamper &&
      ctx.status === 200 &&
      ctx.body &&
      typeof ctx.body === 'object'
    )
      ctx.body = await faults.tamper(ctx.body as Record<string, unknown>);
  });

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', issuer);
        const login = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(url.pathname);
        if (login) {
          const details = await provider.interactionDetails(req, res);
          if (req.method === 'GET' && !login[2]) {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
            res.end(signInPage(details.uid, String(details.params.client_id)));
            return;
          }
          const form = new URLSearchParams(await readBody(req));
          if (login[2] === 'abort') {
            await provider.interactionFinished(req, res, {
              error: 'access_denied',
              error_description: 'cancelled',
            });
            return;
          }
          const email = (form.get('email') ?? '').trim();
          const account: LocalAccount = {
            email,
            name: (form.get('name') ?? '').trim(),
            emailVerified: form.get('email_verified') === 'true',
          };
          const accountId = form.get('subject') || subjectOf(email);
          accounts.set(accountId, account);
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId, remember: false } },
            {
              mergeWithLastSubmission: false,
            },
          );
          return;
        }
        // Every sign-in shows the page again: the developer may sign in as someone else.
        if (url.pathname === '/auth' && req.headers.cookie)
          req.headers.cookie = req.headers.cookie
            .split(/;\s*/)
            .filter((c) => !c.startsWith('_session'))
            .join('; ');
        callback(req, res);
      } catch {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('sign-in failed');
      }
    })();
  });

  return {
    issuer,
    port,
    requests,
    signingKey,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
