import type { Datastore } from './datastore';
import type { Keys } from './keys';
import * as scripts from './scripts';
import { type Caller, type NewSession, type Raw, scriptRunner, toPublicUser, type User } from './users';

/** A user's second-factor record as a signed-in request reads it. */
export interface MfaState {
  /** The encrypted secret of an enrollment not yet confirmed. */
  pending: string | null;
  /** The encrypted secret in use (TOTP on). */
  secret: string | null;
  enabledAt: number | null;
  recoveryCodesLeft: number;
  passkeys: number;
}

/** A log-in waiting for its second factor, as its mfaToken found it. */
export interface MfaLogin {
  userId: string;
  loginId: string;
  hash: string;
  email: string;
  client: string;
  /** The encrypted TOTP secret and the last time step accepted. */
  secret: string;
  lastStep: number;
}

/** Outcomes of a change made after a re-entered password. */
type Reauthenticated<T extends string> = 'ok' | 'unauthorized' | 'stale' | T;

/** Second-factor settings in Redis (mfa:<uid>). Every method is one atomic script. */
export interface MfaStore {
  state(caller: Caller, now: number): Promise<MfaState | null>;
  enroll(
    caller: Caller,
    verifiedHash: string,
    pending: string,
    now: number,
  ): Promise<Reauthenticated<'already_enabled'>>;
  confirm(
    caller: Caller,
    pending: string,
    step: number,
    codeHashes: string[],
    now: number,
  ): Promise<'ok' | 'unauthorized' | 'not_pending'>;
  disable(caller: Caller, verifiedHash: string, now: number): Promise<Reauthenticated<'not_found'>>;
  renewRecoveryCodes(
    caller: Caller,
    verifiedHash: string,
    codeHashes: string[],
    now: number,
  ): Promise<Reauthenticated<'not_found'>>;
}

/** Log-ins waiting for their second factor (mfa-logins:<uid>, with mfa:<uid>). */
export interface MfaLoginStore {
  /** Counts an attempt on the log-in up front; null when the token's log-in is dead or used up. */
  beginLogin(
    login: { userId: string; loginId: string; hash: string },
    maxAttempts: number,
    now: number,
  ): Promise<MfaLogin | null>;
  /** Spends the factor (a step, or a recovery code's hash; neither: a wrong code) and opens the session. */
  completeLogin(
    login: MfaLogin,
    factor: { step: number } | { recoveryHash: string } | null,
    session: NewSession,
    backoff: scripts.BackoffArgs,
    now: number,
  ): Promise<
    | { status: 'ok'; user: User; used: 'totp' | 'recovery_code' }
    | { status: 'failed'; reason: 'wrong_code' | 'replayed' | 'wrong_recovery_code' }
    | { status: 'locked'; lockedUntil: number }
    | { status: 'invalid' }
  >;
}

const fields = (reply: unknown) => reply as Record<string, unknown>;

export function createMfaStore(datastore: Datastore, keys: Keys): MfaStore {
  const run = scriptRunner(datastore, keys);
  const state = run(scripts.MFA_STATE);
  const enroll = run(scripts.ENROLL_TOTP);
  const confirm = run(scripts.CONFIRM_TOTP);
  const disable = run(scripts.DISABLE_TOTP);
  const renew = run(scripts.NEW_RECOVERY_CODES);
  const at = (caller: Caller, now: number) => ({ userId: caller.userId, sessionId: caller.sessionId, now });

  return {
    async state(caller, now) {
      const reply = fields(await state(at(caller, now)));
      if (reply.status !== 'ok') return null;
      return {
        pending: typeof reply.pending === 'string' ? reply.pending : null,
        secret: typeof reply.secret === 'string' ? reply.secret : null,
        enabledAt: reply.enabledAt ? Number(reply.enabledAt) : null,
        recoveryCodesLeft: Number(reply.codesLeft ?? 0),
        passkeys: Number(reply.passkeys ?? 0),
      };
    },
    async enroll(caller, verifiedHash, pending, now) {
      return (await enroll({ ...at(caller, now), verifiedHash, pending }))
        .status as Reauthenticated<'already_enabled'>;
    },
    async confirm(caller, pending, step, codeHashes, now) {
      return (await confirm({ ...at(caller, now), pending, step, codes: codeHashes })).status as
        | 'ok'
        | 'unauthorized'
        | 'not_pending';
    },
    async disable(caller, verifiedHash, now) {
      return (await disable({ ...at(caller, now), verifiedHash })).status as Reauthenticated<'not_found'>;
    },
    async renewRecoveryCodes(caller, verifiedHash, codeHashes, now) {
      return (await renew({ ...at(caller, now), verifiedHash, codes: codeHashes }))
        .status as Reauthenticated<'not_found'>;
    },
  };
}

export function createMfaLoginStore(datastore: Datastore, keys: Keys): MfaLoginStore {
  const run = scriptRunner(datastore, keys);
  const beginLogin = run(scripts.BEGIN_MFA_LOGIN);
  const completeLogin = run(scripts.COMPLETE_MFA_LOGIN);
  return {
    async beginLogin(login, maxAttempts, now) {
      const reply = fields(await beginLogin({ ...login, now, maxAttempts }));
      if (reply.status !== 'ok') return null;
      return {
        ...login,
        email: String(reply.email),
        client: String(reply.client),
        secret: String(reply.secret),
        lastStep: Number(reply.lastStep),
      };
    },
    async completeLogin(login, factor, session, backoff, now) {
      const reply = fields(
        await completeLogin({
          userId: login.userId,
          loginId: login.loginId,
          hash: login.hash,
          email: login.email,
          client: login.client,
          now,
          step: factor && 'step' in factor ? factor.step : null,
          recoveryHash: factor && 'recoveryHash' in factor ? factor.recoveryHash : null,
          session: { ...session },
          backoff,
        }),
      );
      if (reply.status === 'ok')
        return {
          status: 'ok',
          user: toPublicUser(reply.user as Raw),
          used: reply.used === 'recovery_code' ? 'recovery_code' : 'totp',
        };
      if (reply.status === 'locked') return { status: 'locked', lockedUntil: Number(reply.lockedUntil) };
      if (reply.status === 'failed')
        return {
          status: 'failed',
          reason: reply.reason as 'wrong_code' | 'replayed' | 'wrong_recovery_code',
        };
      return { status: 'invalid' };
    },
  };
}
