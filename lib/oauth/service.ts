import { createHash, randomBytes } from 'node:crypto';
import emailValidator from 'email-validator';
import type { AuditLog } from '../audit';
import { clientKey } from '../client-key';
import type { RateLimitRule } from '../config';
import {
  MfaRequiredError,
  NotFoundError,
  problem,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
  wired,
} from '../errors';
import type { ClientInfo } from '../http';
import { byCodeUnits, type Caller, iso, type User } from '../records';
import { createSessions } from '../sessions/service';
import { hashRefreshToken, newId, newMfaToken, type SessionTokens, type TokenService } from '../tokens';
import type { OAuthSignInBody, OAuthStartBody } from '../validation';
import { type OAuthConfig, PROVIDER_IDS, type ProviderConfig, type ProviderId } from './config';
import type { ProtocolSettings, ProviderClient } from './protocol';
import { ProviderRefusalError } from './protocol-errors';
import type { OAuthStore, StoredIdentity } from './store';

export interface OAuthDeps {
  /**
   * The parts of the store this function uses (lib/oauth/store.ts): each function's builder
   * names only its own, so its bundle carries only its scripts. Using a missing part is a wiring error.
   */
  store: Partial<OAuthStore>;
  /** The providers' protocol (oauth4webapi); left out by the functions that never call a provider. */
  clientFor?: (provider: ProviderConfig, settings: ProtocolSettings) => ProviderClient;
  tokens: TokenService;
  audit: AuditLog;
  settings: {
    oauth: OAuthConfig;
    apiUrl: string;
    refreshTokenTtlSeconds: number;
    rateLimits: { oauthPerIp: RateLimitRule };
  };
  now: () => number;
  /** Tests count and fault the calls to providers. */
  fetch?: ProtocolSettings['fetch'];
}

/** How long a log-in waits for its second factor (docs/security.md: an mfaToken lives 300 s, as lib/accounts/service.ts's). */
const MFA_LOGIN_TTL_MS = 300_000;

/** A one-time code lives this long (README "Social log-in"). */
export const OAUTH_CODE_TTL_MS = 60_000;

/** A one-time code: the user it signs in (so REDEEM_CODE knows its keys) and 256 random bits. */
const CODE = /^(usr_[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const random = () => randomBytes(32).toString('base64url');

/** A provider's `error` as it may appear in a log: a short snake_case code, or `other`. */
const loggable = (code: string | null) => (code && /^[a-z_]{1,40}$/.test(code) ? code : 'other');

export type OAuth = ReturnType<typeof createOAuth>;

/** The publicly listed form of an identity. */
const toIdentity = (identity: StoredIdentity) => ({
  id: identity.id,
  provider: identity.provider,
  email: identity.email ?? null,
  createdAt: iso(identity.createdAt),
  lastUsedAt: identity.lastUsedAt ? iso(identity.lastUsedAt) : null,
});

/** Social log-in (README "Social log-in"): start, callback, the code's redemption, identities. */
export function createOAuth(deps: OAuthDeps) {
  const { tokens, audit, settings, now } = deps;
  const sessions = createSessions({ tokens, settings });
  const store = new Proxy(deps.store, {
    get: (target, name: string) => wired(target[name as keyof OAuthStore], `the store's ${name}`),
  }) as OAuthStore;
  const { oauth } = settings;
  const clients = new Map<ProviderId, ProviderClient>();
  const providerOf = (id: string): { config: ProviderConfig; client: ProviderClient } => {
    const config = oauth.providers.find((p) => p.id === id);
    if (!config) throw new NotFoundError('No such sign-in provider is on.');
    let client = clients.get(config.id);
    if (!client) {
      client = wired(deps.clientFor, 'the providers’ protocol')(config, {
        apiUrl: settings.apiUrl,
        timeoutMs: oauth.timeoutMs,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      clients.set(config.id, client);
    }
    return { config, client };
  };
  const fragment = (redirectUri: string, members: Record<string, string>) =>
    `${redirectUri}#${new URLSearchParams(members).toString()}`;

  /** Decides who signs in, and stores the one-time code: the redirect's fragment members. */
  async function signIn(
    provider: ProviderId,
    identity: { subject: string; email: string | null; emailVerified: boolean; name: string },
    challenge: string,
    ip: string,
  ): Promise<Record<string, string>> {
    // An address we could not store (absent, or not one registration's email rule accepts) is no address.
    if (!identity.email || identity.email.length > 254 || !emailValidator.validate(identity.email))
      return { error: 'email_required' };
    const email = identity.email;
    // Read who holds the identity and the email, then decide in one script that checks they did
    // not change hands meanwhile (then: once more).
    for (let attempt = 0; attempt < 2; attempt++) {
      const holders = await store.lookup(provider, identity.subject, email);
      const userId = holders.identityUser || holders.emailUser || newId('usr');
      const code = `${userId}.${random()}`;
      const result = await store.signIn({
        provider,
        subject: identity.subject,
        email,
        emailVerified: identity.emailVerified,
        name: identity.name || email.split('@')[0] || email,
        userId,
        identityId: newId('idn'),
        expect: holders,
        code: { hash: sha256(code), challenge, ttlMs: OAUTH_CODE_TTL_MS },
        now: now(),
      });
      if (result.status === 'link_required') return { error: 'link_required' };
      if (result.status === 'ok') {
        if (result.outcome === 'created') audit.record('registered', { userId, ip, provider });
        if (result.outcome === 'linked') audit.record('identity_linked', { userId, ip, provider });
        if (result.outcome === 'reclaimed') audit.record('account_reclaimed', { userId, ip, provider });
        return { code };
      }
    }
    audit.record('oauth_failed', { ip, provider, oauthReason: 'contended' });
    return { error: 'oauth_failed' };
  }

  return {
    /** The providers that are on. */
    providers(): { providers: Array<{ id: ProviderId; name: string }> } {
      return {
        providers: PROVIDER_IDS.flatMap((id) => {
          const config = oauth.providers.find((p) => p.id === id);
          return config ? [{ id, name: config.name }] : [];
        }),
      };
    },

    /**
     * Starts a sign-in (or, for a signed-in caller, a link): keeps the state, the service's own
     * PKCE verifier and the nonce server-side under the state's hash, and answers the provider's
     * URL. The app's `codeChallenge` binds the one-time code to the tab that started.
     */
    async start(
      providerId: string,
      body: OAuthStartBody,
      caller: Caller | undefined,
      client: ClientInfo,
    ): Promise<{ authorizationUrl: string }> {
      const provider = providerOf(providerId);
      if (!oauth.redirectOrigins.includes(new URL(body.redirectUri).origin))
        throw problem('redirect_uri_not_allowed');
      const request = { state: random(), verifier: random(), nonce: random() };
      const authorizationUrl = await provider.client.authorizationUrl(request).catch((error: unknown) => {
        // Discovery failed (the provider is down or misconfigured): nothing was stored.
        const reason = error instanceof ProviderRefusalError ? error.reason : 'unknown';
        audit.record('oauth_failed', { ip: client.ip, provider: provider.config.id, oauthReason: reason });
        // No redirect exists yet to carry #error=: the app is told to try again later.
        throw Object.assign(new ServiceUnavailableError(), { cause: new Error(`provider: ${reason}`) });
      });
      const ttlMs = oauth.stateTtlSeconds * 1000;
      const started = await store.start({
        stateHash: sha256(request.state),
        record: {
          provider: provider.config.id,
          verifier: request.verifier,
          nonce: request.nonce,
          redirectUri: body.redirectUri,
          challenge: body.codeChallenge,
          link: caller ? { userId: caller.userId, sessionId: caller.sessionId } : null,
          expiresAt: now() + ttlMs,
        },
        ttlMs,
        client: clientKey(client.ip),
        limit: settings.rateLimits.oauthPerIp,
        now: now(),
      });
      if (started.status === 'limited') {
        const retryAfterSeconds = Math.max(1, Math.ceil(started.retryAfterMs / 1000));
        audit.record('rate_limited', { ip: client.ip, limit: 'oauth_ip', retryAfterSeconds });
        throw new RateLimitedError(retryAfterSeconds);
      }
      if (started.status === 'unauthorized') throw new UnauthorizedError(true);
      audit.record('oauth_started', {
        ip: client.ip,
        provider: provider.config.id,
        userId: caller?.userId ?? null,
      });
      return { authorizationUrl };
    },

    /**
     * The provider's answer. The state is taken first (once: of parallel callbacks one proceeds);
     * an unknown, spent or expired one is a 400 with no redirect. Then the code is exchanged and the
     * answer verified; anything that does not verify ends as `#error=oauth_failed` and changes
     * nothing. Answers where the browser goes.
     */
    async callback(providerId: string, params: URLSearchParams, client: ClientInfo): Promise<string> {
      const provider = providerOf(providerId);
      const state = params.get('state');
      if (!state) throw new ValidationError([{ field: 'state', message: 'is required' }]);
      if (state.length > 512) throw new ValidationError([{ field: 'state', message: 'is too long' }]);
      const record = await store.takeState(sha256(state), now());
      if (!record || record.provider !== provider.config.id) throw problem('oauth_state_invalid');
      const back = (members: Record<string, string>) => fragment(record.redirectUri, members);
      let identity: Awaited<ReturnType<ProviderClient['finish']>>;
      try {
        identity = await provider.client.finish(params, {
          state,
          verifier: record.verifier,
          nonce: record.nonce,
        });
      } catch (error) {
        const refusal =
          error instanceof ProviderRefusalError ? error : new ProviderRefusalError('oauth_failed', 'unknown');
        audit.record('oauth_failed', {
          ip: client.ip,
          provider: provider.config.id,
          oauthReason: loggable(refusal.reason.toLowerCase()),
        });
        return back({ error: refusal.fragmentCode });
      }
      if (record.link) {
        const linked = await store.link({
          provider: provider.config.id,
          subject: identity.subject,
          email: identity.email ?? '',
          userId: record.link.userId,
          sessionId: record.link.sessionId,
          identityId: newId('idn'),
          now: now(),
        });
        if (linked === 'ok') {
          audit.record('identity_linked', {
            userId: record.link.userId,
            ip: client.ip,
            provider: provider.config.id,
          });
          return back({ linked: provider.config.id });
        }
        // The caller's session ended while at the provider: nothing was linked.
        return back({ error: linked === 'identity_taken' ? 'identity_taken' : 'oauth_failed' });
      }
      return back(await signIn(provider.config.id, identity, record.challenge, client.ip));
    },

    /**
     * Redeems a one-time code with the verifier of the challenge `start` was given: once, within
     * 60 s (a wrong verifier spends it). Opens the session — or answers `mfa_required` when the
     * account has TOTP on, as a password log-in does.
     */
    async redeem(
      body: OAuthSignInBody,
      client: ClientInfo,
    ): Promise<{ user: User; session: SessionTokens; created: boolean }> {
      const userId = CODE.exec(body.code)?.[1];
      if (!userId) throw problem('oauth_code_invalid');
      const opened = sessions.open(userId, client);
      const mfa = newMfaToken(userId);
      const result = await store.redeem({
        codeHash: sha256(body.code),
        userId,
        challenge: sha256(body.codeVerifier),
        client: clientKey(client.ip),
        now: now(),
        session: opened.record,
        mfaLogin: {
          id: mfa.loginId,
          hash: hashRefreshToken(mfa.token),
          ttlMs: MFA_LOGIN_TTL_MS,
          userAgent: opened.record.userAgent,
        },
      });
      if (result.status === 'invalid') throw problem('oauth_code_invalid');
      if (result.status === 'mfa_required') {
        audit.record('mfa_required', { userId, ip: client.ip });
        throw new MfaRequiredError(mfa.token, result.methods);
      }
      audit.record('logged_in', { userId, sessionId: opened.record.id, ip: client.ip, factor: 'oauth' });
      return {
        user: result.user,
        session: await opened.tokens({ method: 'oauth', user: result.user }),
        created: result.created,
      };
    },

    /** The caller's identities (oldest first), and whether the account has a password. */
    async listIdentities(caller: Caller) {
      const list = await store.list(caller, now());
      if (!list) throw new UnauthorizedError(true);
      return {
        identities: list.identities
          .sort((a, b) => Number(a.createdAt) - Number(b.createdAt) || byCodeUnits(a.id, b.id))
          .map(toIdentity),
        hasPassword: list.hasPassword,
      };
    },

    /** Unlinks one of the caller's identities; never the account's last way to sign in. */
    async unlink(caller: Caller, identityId: string): Promise<void> {
      const result = await store.unlink(caller, identityId, now());
      if (result === 'unauthorized') throw new UnauthorizedError(true);
      if (result === 'not_found') throw new NotFoundError('No identity of yours has this id.');
      if (result === 'last_sign_in_method') throw problem('last_sign_in_method');
      audit.record('identity_unlinked', { userId: caller.userId, sessionId: caller.sessionId });
    },
  };
}
