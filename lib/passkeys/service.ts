import { randomBytes } from 'node:crypto';
import type * as z from 'zod/mini';
import { createPasswordCheck } from '../accounts/reauthentication';
import type { UserStore } from '../accounts/store';
import type { AuditLog } from '../audit';
import type { Config } from '../config';
import type { Datastore } from '../datastore';
import { NotFoundError, problem, UnauthorizedError, wired } from '../errors';
import type { ClientInfo } from '../http';
import type { Keys } from '../keys';
import type { MailQueue } from '../mail/queue';
import { noticeJob } from '../notices/notices';
import type { PasswordHasher } from '../passwords';
import { byCodeUnits, type Caller } from '../records';
import type * as resources from '../resources';
import { scriptRunner } from '../script-runner';
import * as scripts from '../scripts';
import type { TokenService } from '../tokens';
import type { CurrentPasswordBody, PasskeyOptionsBody } from '../validation';

/** How long a ceremony's challenge lives (README "API": 300 s). */
export const CHALLENGE_TTL_MS = 300_000;

/** A passkey as the API shows it (its schema in lib/resources.ts): never its key or counter. */
export type Passkey = z.infer<typeof resources.Passkey>;

/** A passkey registration's options, as the browser's WebAuthn API takes them (lib/resources.ts). */
type RegistrationOptions = z.infer<typeof resources.PasskeyRegistrationOptions>;
/** A passkey log-in's options, as the browser's WebAuthn API takes them (lib/resources.ts). */
type LoginOptions = z.infer<typeof resources.PasskeyLoginOptions>;

/** A passkey as stored in passkeys:<uid>. */
export interface StoredPasskey {
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
  users: Pick<UserStore, 'beginReauth'>;
  /** Only where a password is re-entered (deleting a passkey): it loads Argon2. */
  passwords?: PasswordHasher;
  /**
   * The per-IP log-in limit, audited: only where a passkey logs in (its options count as the
   * log-in's first step). The log-in options throw without it.
   */
  limitLogin?: (client: ClientInfo) => Promise<void>;
  tokens: TokenService;
  audit: AuditLog;
  /** Where the owner's notices go (a passkey removed). */
  mail: MailQueue;
  settings: Pick<Config, 'webauthn' | 'refreshTokenTtlSeconds' | 'reauthMaxAgeSeconds'>;
  now: () => number;
}

const newChallenge = () => randomBytes(32).toString('base64url');
const iso = (ms: unknown) =>
  ms === null || ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString();

export const parseStored = (raw: string): StoredPasskey => {
  const p = JSON.parse(raw) as StoredPasskey;
  return { ...p, transports: Array.isArray(p.transports) ? p.transports : [] };
};
export const shown = (p: StoredPasskey): Passkey => ({
  id: p.id,
  name: p.name,
  createdAt: iso(p.createdAt) as string,
  lastUsedAt: iso(p.lastUsedAt),
});

export type Passkeys = ReturnType<typeof createPasskeys>;

/**
 * Passkeys (WebAuthn, docs/decisions.md "Passkeys"), all but verification (lib/passkeys/ceremonies.ts): the
 * ceremonies' options with their challenges (kept server-side for 300 s), listing, deletion.
 * The options are built here (plain JSON, as the WebAuthn spec names it): the library's option
 * builders would put its 400 KiB into the functions that only hand out a challenge.
 */
export function createPasskeys(deps: PasskeyDeps) {
  const { datastore, keys, audit, settings, now } = deps;
  const { rpId, rpName } = settings.webauthn;
  const run = scriptRunner(datastore, keys);
  const registrationOptions = run(scripts.PASSKEY_REGISTRATION_OPTIONS);
  const list = run(scripts.LIST_PASSKEYS);
  const remove = run(scripts.DELETE_PASSKEY);
  const loginOptions = run(scripts.PASSKEY_LOGIN_OPTIONS);
  const at = (caller: Caller) => ({ userId: caller.userId, sessionId: caller.sessionId, now: now() });
  const requirePassword = createPasswordCheck(deps);

  return {
    /**
     * Creation options for a new passkey of the caller (a new challenge; their passkeys excluded).
     * A passkey signs in without the password or a second factor, so adding one needs proof that
     * the caller is the owner, not just a bearer of their access token: the current password
     * (throttled like log-in), or a session opened in the last REAUTH_MAX_AGE_SECONDS. And a
     * proved address: a squatter's passkey must not outlive the owner's reclaim.
     */
    async registrationOptions(caller: Caller, body: PasskeyOptionsBody): Promise<RegistrationOptions> {
      const verifiedHash =
        body.currentPassword === undefined
          ? null
          : (await requirePassword(caller, body.currentPassword)).passwordHash;
      const challenge = newChallenge();
      const reply = await registrationOptions({
        ...at(caller),
        challenge,
        ttlMs: CHALLENGE_TTL_MS,
        verifiedHash,
        maxAgeMs: settings.reauthMaxAgeSeconds * 1000,
      });
      if (reply.status === 'stale') throw problem('current_password_incorrect');
      if (reply.status === 'reauthenticate') {
        audit.record('passkey_refused', { userId: caller.userId, reason: 'reauthentication_required' });
        throw problem('reauthentication_required');
      }
      if (reply.status === 'unverified') throw problem('email_not_verified');
      if (reply.status !== 'ok') throw new UnauthorizedError(true);
      const existing = Array.isArray(reply.existing) ? reply.existing : [];
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
          pubKeyCredParams: ([-8, -7, -257] as const).map((alg) => ({ alg, type: 'public-key' as const })),
          timeout: CHALLENGE_TTL_MS,
          attestation: 'none' as const,
          excludeCredentials: existing.map((p) => ({
            id: p.id,
            type: 'public-key' as const,
            ...(Array.isArray(p.transports) && p.transports.length ? { transports: p.transports } : {}),
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

    /** The caller's passkeys, newest first. */
    async list(caller: Caller): Promise<{ passkeys: Passkey[] }> {
      const reply = await list(at(caller));
      if (reply.status !== 'ok') throw new UnauthorizedError(true);
      const raw = Array.isArray(reply.passkeys) ? reply.passkeys : [];
      const passkeys = raw.map((text) => shown(parseStored(text)));
      return { passkeys: passkeys.sort((a, b) => byCodeUnits(b.createdAt, a.createdAt)) };
    },

    /** Deletes one of the caller's passkeys; the password is re-entered (throttled like log-in). */
    async delete(caller: Caller, passkeyId: string, body: CurrentPasswordBody): Promise<void> {
      const user = await requirePassword(caller, body.currentPassword);
      const status = (await remove({ ...at(caller), verifiedHash: user.passwordHash, passkeyId })).status;
      if (status === 'stale') throw problem('current_password_incorrect');
      if (status === 'not_found') throw new NotFoundError('No passkey of yours has this id.');
      if (status !== 'ok') throw new UnauthorizedError(true);
      audit.record('passkey_deleted', { userId: caller.userId, sessionId: caller.sessionId });
      await deps.mail.enqueue(noticeJob(caller.userId, 'passkey-removed'));
    },

    /** Request options for a passkey log-in: a challenge, no user (discoverable credentials). */
    async loginOptions(client: ClientInfo): Promise<LoginOptions> {
      await wired(deps.limitLogin, 'the per-IP log-in limit')(client);
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
  };
}
