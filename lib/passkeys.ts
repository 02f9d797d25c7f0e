import { randomBytes } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { AuditLog } from './audit';
import type { Config } from './config';
import type { Datastore } from './datastore';
import {
  CurrentPasswordIncorrectError,
  NotFoundError,
  PasskeyInvalidError,
  RateLimitedError,
  UnauthorizedError,
} from './errors';
import type { ClientInfo } from './http';
import type { Keys } from './keys';
import type { PasswordHasher } from './passwords';
import type { RateLimits } from './rate-limits';
import { createPasswordCheck } from './reauthentication';
import * as scripts from './scripts';
import { newSession } from './sessions';
import type { SessionTokens, TokenService } from './tokens';
import { type Caller, type Raw, scriptRunner, toPublicUser, type User, type UserStore } from './users';
import type { AddPasskeyBody, CurrentPasswordBody, PasskeyLoginBody } from './validation';

/** How long a ceremony's challenge lives (API.md: 300 s). */
export const CHALLENGE_TTL_MS = 300_000;

/** A passkey as the API shows it: never its key or counter. */
export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A passkey as stored in passkeys:<uid>. */
interface StoredPasskey {
  id: string;
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface PasskeyDeps {
  datastore: Datastore;
  keys: Keys;
  users: UserStore;
  /** Only where a password is re-entered (deleting a passkey): it loads Argon2. */
  passwords?: PasswordHasher;
  /** Only where a passkey logs in (the per-IP log-in limit). */
  rateLimits?: RateLimits;
  tokens: TokenService;
  audit: AuditLog;
  settings: Pick<Config, 'webauthn' | 'refreshTokenTtlSeconds'>;
  now: () => number;
}

const newChallenge = () => randomBytes(32).toString('base64url');
const iso = (ms: unknown) =>
  ms === null || ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString();
const USER_ID = /^usr_[A-Za-z0-9_-]{22}$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,1400}$/;

const parseStored = (raw: string): StoredPasskey => {
  const p = JSON.parse(raw) as StoredPasskey;
  return { ...p, transports: Array.isArray(p.transports) ? p.transports : [] };
};
const shown = (p: StoredPasskey): Passkey => ({
  id: p.id,
  name: p.name,
  createdAt: iso(p.createdAt) as string,
  lastUsedAt: iso(p.lastUsedAt),
});

/** What a passkey log-in response names before anything is verified: its user, credential and challenge. */
function loginClaims(
  response: PasskeyLoginBody['response'],
): { userId: string; credentialId: string; challenge: string } | null {
  const r = response as { id?: unknown; response?: { userHandle?: unknown; clientDataJSON?: unknown } };
  const { id } = r;
  const userHandle = r.response?.userHandle;
  const clientData = r.response?.clientDataJSON;
  if (typeof id !== 'string' || !BASE64URL.test(id)) return null;
  if (typeof userHandle !== 'string' || !BASE64URL.test(userHandle)) return null;
  if (typeof clientData !== 'string' || !BASE64URL.test(clientData)) return null;
  const userId = Buffer.from(userHandle, 'base64url').toString('utf8');
  if (!USER_ID.test(userId)) return null;
  try {
    const { challenge } = JSON.parse(Buffer.from(clientData, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return null;
    return { userId, credentialId: id, challenge };
  } catch {
    return null;
  }
}

export type Passkeys = ReturnType<typeof createPasskeys>;

/**
 * Passkeys (WebAuthn, API.md "Passkeys"): registration and log-in ceremonies verified by
 * `@simplewebauthn/server`, challenges kept server-side for 300 s and taken once, discoverable
 * credentials with user verification required, the signature counter checked atomically.
 * The options are built here (plain JSON, as the WebAuthn spec names it): the library's option
 * builders would put its 400 KiB into the two functions that only hand out a challenge.
 */
export function createPasskeys(deps: PasskeyDeps) {
  const { datastore, keys, tokens, audit, settings, now } = deps;
  const { rpId, rpName, origins } = settings.webauthn;
  const run = scriptRunner(datastore, keys);
  const registrationOptions = run(scripts.PASSKEY_REGISTRATION_OPTIONS);
  const takeRegistration = run(scripts.TAKE_PASSKEY_REGISTRATION_CHALLENGE);
  const add = run(scripts.ADD_PASSKEY);
  const list = run(scripts.LIST_PASSKEYS);
  const remove = run(scripts.DELETE_PASSKEY);
  const loginOptions = run(scripts.PASSKEY_LOGIN_OPTIONS);
  const takeLogin = run(scripts.TAKE_PASSKEY_LOGIN_CHALLENGE);
  const login = run(scripts.PASSKEY_LOGIN);
  const at = (caller: Caller) => ({ userId: caller.userId, sessionId: caller.sessionId, now: now() });
  const fields = (reply: unknown) => reply as Record<string, unknown>;
  const { passwords } = deps;
  const requirePassword = passwords
    ? createPasswordCheck({ ...deps, passwords })
    : () => {
        throw new Error('passkeys: this function was built without a password hasher');
      };
  const refused = (reason: string, userId: string | null, client?: ClientInfo) => {
    audit.record('passkey_refused', { userId, ...(client ? { ip: client.ip } : {}), passkeyReason: reason });
    return new PasskeyInvalidError();
  };

  return {
    /** Creation options for a new passkey of the caller (a new challenge; their passkeys excluded). */
    async registrationOptions(caller: Caller) {
      const challenge = newChallenge();
      const reply = fields(await registrationOptions({ ...at(caller), challenge, ttlMs: CHALLENGE_TTL_MS }));
      if (reply.status !== 'ok') throw new UnauthorizedError(true);
      const existing = Array.isArray(reply.existing)
        ? (reply.existing as { id: string; transports?: unknown }[])
        : [];
      return {
        options: {
          rp: { name: rpName, id: rpId },
          user: {
            id: Buffer.from(caller.userId, 'utf8').toString('base64url'),
            name: String(reply.email),
            displayName: String(reply.name),
          },
          challenge,
          // EdDSA, ES256, RS256: what authenticators offer, strongest first.
          pubKeyCredParams: [-8, -7, -257].map((alg) => ({ alg, type: 'public-key' as const })),
          timeout: CHALLENGE_TTL_MS,
          attestation: 'none' as const,
          excludeCredentials: existing.map((p) => ({
            id: p.id,
            type: 'public-key' as const,
            ...(Array.isArray(p.transports) && p.transports.length
              ? { transports: p.transports as string[] }
              : {}),
          })),
          authenticatorSelection: {
            residentKey: 'required' as const,
            requireResidentKey: true,
            userVerification: 'required' as const,
          },
          extensions: { credProps: true },
        },
      };
    },

    /** Verifies a registration response against the caller's live challenge and stores the passkey. */
    async add(caller: Caller, body: AddPasskeyBody): Promise<{ passkey: Passkey }> {
      const taken = fields(await takeRegistration(at(caller)));
      if (taken.status === 'unauthorized') throw new UnauthorizedError(true);
      if (taken.status !== 'ok') throw refused('no_live_challenge', caller.userId);
      let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
      try {
        const result = await verifyRegistrationResponse({
          response: body.response as unknown as RegistrationResponseJSON,
          expectedChallenge: String(taken.challenge),
          expectedOrigin: origins,
          expectedRPID: rpId,
          requireUserVerification: true,
        });
        info = result.verified ? result.registrationInfo : undefined;
      } catch {
        info = undefined;
      }
      if (!info) throw refused('registration_not_verified', caller.userId);
      const created = now();
      const passkey: StoredPasskey = {
        id: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: [...(info.credential.transports ?? [])],
        name: body.name ?? 'Passkey',
        createdAt: String(created),
        lastUsedAt: null,
      };
      const stored = fields(await add({ ...at(caller), passkey: { ...passkey } }));
      if (stored.status === 'unauthorized') throw new UnauthorizedError(true);
      if (stored.status !== 'ok') throw refused('already_registered', caller.userId);
      audit.record('passkey_added', { userId: caller.userId, sessionId: caller.sessionId });
      return { passkey: shown(passkey) };
    },

    /** The caller's passkeys, newest first. */
    async list(caller: Caller): Promise<{ passkeys: Passkey[] }> {
      const reply = fields(await list(at(caller)));
      if (reply.status !== 'ok') throw new UnauthorizedError(true);
      const raw = Array.isArray(reply.passkeys) ? (reply.passkeys as string[]) : [];
      const passkeys = raw.map((text) => shown(parseStored(text)));
      return { passkeys: passkeys.sort((a, b) => b.createdAt.localeCompare(a.createdAt)) };
    },

    /** Deletes one of the caller's passkeys; the password is re-entered (throttled like log-in). */
    async delete(caller: Caller, passkeyId: string, body: CurrentPasswordBody): Promise<void> {
      const user = await requirePassword(caller, body.currentPassword);
      const status = (await remove({ ...at(caller), verifiedHash: user.passwordHash, passkeyId })).status;
      if (status === 'stale') throw new CurrentPasswordIncorrectError();
      if (status === 'not_found') throw new NotFoundError('No passkey of yours has this id.');
      if (status !== 'ok') throw new UnauthorizedError(true);
      audit.record('passkey_deleted', { userId: caller.userId, sessionId: caller.sessionId });
    },

    /** Request options for a passkey log-in: a challenge, no user (discoverable credentials). */
    async loginOptions(client: ClientInfo) {
      await deps.rateLimits?.checkLoginIp(client.ip).catch((error: unknown) => {
        if (error instanceof RateLimitedError)
          audit.record('rate_limited', {
            ip: client.ip,
            limit: 'login_ip',
            retryAfterSeconds: error.retryAfterSeconds,
          });
        throw error;
      });
      const challenge = newChallenge();
      await loginOptions({ challenge, ttlMs: CHALLENGE_TTL_MS });
      return {
        options: {
          challenge,
          timeout: CHALLENGE_TTL_MS,
          rpId,
          allowCredentials: [],
          userVerification: 'required' as const,
        },
      };
    },

    /**
     * A passkey log-in: the challenge it signed is taken once, the assertion verified against
     * the stored public key (user verification required), the counter checked; then a session.
     */
    async logIn(body: PasskeyLoginBody, client: ClientInfo): Promise<{ user: User; session: SessionTokens }> {
      await deps.rateLimits?.checkLoginIp(client.ip).catch((error: unknown) => {
        if (error instanceof RateLimitedError)
          audit.record('rate_limited', {
            ip: client.ip,
            limit: 'login_ip',
            retryAfterSeconds: error.retryAfterSeconds,
          });
        throw error;
      });
      const claims = loginClaims(body.response);
      if (!claims) throw refused('malformed_response', null, client);
      const taken = fields(await takeLogin(claims));
      if (taken.status === 'invalid') throw refused('no_live_challenge', claims.userId, client);
      if (taken.status !== 'ok') throw refused('unknown_credential', claims.userId, client);
      const passkey = parseStored(String(taken.passkey));
      let newCounter: number | null = null;
      try {
        const result = await verifyAuthenticationResponse({
          response: body.response as unknown as AuthenticationResponseJSON,
          expectedChallenge: claims.challenge,
          expectedOrigin: origins,
          expectedRPID: rpId,
          requireUserVerification: true,
          credential: {
            id: passkey.id,
            publicKey: Buffer.from(passkey.publicKey, 'base64url'),
            counter: passkey.counter,
            transports: passkey.transports as never,
          },
        });
        if (result.verified) newCounter = result.authenticationInfo.newCounter;
      } catch (error) {
        const counter = error instanceof Error && /counter/i.test(error.message);
        throw refused(counter ? 'counter_went_backwards' : 'assertion_not_verified', claims.userId, client);
      }
      if (newCounter === null) throw refused('assertion_not_verified', claims.userId, client);
      const opened = newSession(claims.userId, client, settings.refreshTokenTtlSeconds * 1000);
      const reply = fields(
        await login({
          userId: claims.userId,
          credentialId: passkey.id,
          counter: newCounter,
          now: now(),
          session: { ...opened.record },
        }),
      );
      if (reply.status === 'counter') throw refused('counter_went_backwards', claims.userId, client);
      if (reply.status !== 'ok') throw refused('unknown_credential', claims.userId, client);
      audit.record('logged_in', {
        userId: claims.userId,
        sessionId: opened.record.id,
        ip: client.ip,
        factor: 'passkey',
      });
      return {
        user: toPublicUser(reply.user as Raw),
        session: await tokens.issueSession(claims.userId, opened.record.id, opened.refreshToken),
      };
    },
  };
}
