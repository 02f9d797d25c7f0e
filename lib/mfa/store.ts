import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import {
  type AuthenticatedUser,
  type Caller,
  type NewSession,
  type ReauthLimits,
  type ReauthStart,
  reauthStart,
  toPublicUser,
  toStoredUser,
  type User,
} from '../records';
import { scriptRunner } from '../script-runner';
import * as scripts from '../scripts';

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

/** A caller's user with what their current second factor is checked against (TOTP off: no secret). */
export interface UserWithFactor extends AuthenticatedUser {
  factor: { secret: string | null; lastStep: number };
}

/** The current second factor presented with a password: a code's step, recovery-code hashes, or nothing right. */
export type PresentedFactor = { step: number } | { recoveryHashes: string[] } | null;

/** How long a TOTP enrollment waits for its first code (docs/security.md: bound to the session, 10 minutes). */
export const TOTP_PENDING_TTL_MS = 600_000;

/** Second-factor settings in Redis (mfa:<uid>). Every method is one atomic script. */
export interface MfaStore {
  state(caller: Caller, now: number): Promise<MfaState | null>;
  enroll(
    caller: Caller,
    verifiedHash: string,
    pending: string,
    now: number,
  ): Promise<Reauthenticated<'already_enabled' | 'unverified'>>;
  /** The pending secret of this session's enrollment, once this attempt is counted on its back-off. */
  beginConfirm(
    caller: Caller,
    backoff: scripts.BackoffArgs,
    now: number,
  ): Promise<
    | { status: 'ok'; pending: string }
    | { status: 'locked'; lockedUntil: number }
    | { status: 'not_pending' }
    | { status: 'unauthorized' }
  >;
  /** The start of a re-entered password that also reads the current second factor. */
  beginReauthWithFactor(
    caller: Caller,
    now: number,
    limits: ReauthLimits,
  ): Promise<ReauthStart<UserWithFactor>>;
  confirm(
    caller: Caller,
    pending: string,
    step: number,
    codeHashes: string[],
    now: number,
  ): Promise<'ok' | 'unauthorized' | 'not_pending' | 'unverified'>;
  disable(
    caller: Caller,
    verifiedHash: string,
    factor: PresentedFactor,
    now: number,
  ): Promise<Reauthenticated<'not_found' | 'factor_invalid'>>;
  renewRecoveryCodes(
    caller: Caller,
    verifiedHash: string,
    factor: PresentedFactor,
    codeHashes: string[],
    now: number,
  ): Promise<Reauthenticated<'not_found' | 'factor_invalid'>>;
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
    presented: { totp: boolean; factor: PresentedFactor },
    session: NewSession,
    limits: { backoff: scripts.BackoffArgs; ceiling: scripts.CeilingArgs; totpCap: scripts.CeilingArgs },
    now: number,
  ): Promise<
    | { status: 'ok'; user: User; used: 'totp' | 'recovery_code' }
    | { status: 'failed'; reason: 'wrong_code' | 'replayed' | 'wrong_recovery_code' | 'totp_capped' }
    | { status: 'locked'; lockedUntil: number }
    | { status: 'ceiling' }
    | { status: 'invalid' }
  >;
}

const factorArgs = (factor: PresentedFactor): scripts.FactorArgs => ({
  step: factor && 'step' in factor ? factor.step : null,
  recoveryHashes: factor && 'recoveryHashes' in factor ? factor.recoveryHashes : null,
});

export function createMfaStore(datastore: Datastore, keys: Keys): MfaStore {
  const run = scriptRunner(datastore, keys);
  const state = run(scripts.MFA_STATE);
  const enroll = run(scripts.ENROLL_TOTP);
  const beginConfirm = run(scripts.BEGIN_TOTP_CONFIRMATION);
  const beginReauthWithFactor = run(scripts.BEGIN_REAUTH_WITH_FACTOR);
  const confirm = run(scripts.CONFIRM_TOTP);
  const disable = run(scripts.DISABLE_TOTP);
  const renew = run(scripts.NEW_RECOVERY_CODES);
  const at = (caller: Caller, now: number) => ({ userId: caller.userId, sessionId: caller.sessionId, now });

  return {
    async state(caller, now) {
      const reply = await state(at(caller, now));
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
      return (await enroll({ ...at(caller, now), verifiedHash, pending, pendingTtlMs: TOTP_PENDING_TTL_MS }))
        .status;
    },
    async beginConfirm(caller, backoff, now) {
      const reply = await beginConfirm({ ...at(caller, now), backoff });
      if (reply.status === 'ok') return { status: 'ok', pending: String(reply.pending) };
      if (reply.status === 'locked') return { status: 'locked', lockedUntil: Number(reply.lockedUntil) };
      return { status: reply.status === 'not_pending' ? 'not_pending' : 'unauthorized' };
    },
    async beginReauthWithFactor(caller, now, limits) {
      return reauthStart(await beginReauthWithFactor({ ...at(caller, now), ...limits }), (r) => ({
        ...toStoredUser(r.user),
        factor: { secret: typeof r.secret === 'string' ? r.secret : null, lastStep: Number(r.lastStep ?? 0) },
      }));
    },
    async confirm(caller, pending, step, codeHashes, now) {
      return (await confirm({ ...at(caller, now), pending, step, codes: codeHashes })).status;
    },
    async disable(caller, verifiedHash, factor, now) {
      return (await disable({ ...at(caller, now), verifiedHash, ...factorArgs(factor) })).status;
    },
    async renewRecoveryCodes(caller, verifiedHash, factor, codeHashes, now) {
      return (await renew({ ...at(caller, now), verifiedHash, ...factorArgs(factor), codes: codeHashes }))
        .status;
    },
  };
}

export function createMfaLoginStore(datastore: Datastore, keys: Keys): MfaLoginStore {
  const run = scriptRunner(datastore, keys);
  const beginLogin = run(scripts.BEGIN_MFA_LOGIN);
  const completeLogin = run(scripts.COMPLETE_MFA_LOGIN);
  return {
    async beginLogin(login, maxAttempts, now) {
      const reply = await beginLogin({ ...login, now, maxAttempts });
      if (reply.status !== 'ok') return null;
      return {
        ...login,
        email: String(reply.email),
        client: String(reply.client),
        secret: String(reply.secret),
        lastStep: Number(reply.lastStep),
      };
    },
    async completeLogin(login, presented, session, limits, now) {
      const reply = await completeLogin({
        userId: login.userId,
        loginId: login.loginId,
        hash: login.hash,
        email: login.email,
        client: login.client,
        now,
        totp: presented.totp,
        ...factorArgs(presented.factor),
        session: { ...session },
        ...limits,
      });
      if (reply.status === 'ok')
        return {
          status: 'ok',
          user: toPublicUser(reply.user),
          used: reply.used === 'recovery_code' ? 'recovery_code' : 'totp',
        };
      if (reply.status === 'locked')
        return reply.ceiling
          ? { status: 'ceiling' }
          : { status: 'locked', lockedUntil: Number(reply.lockedUntil) };
      if (reply.status === 'failed')
        return {
          status: 'failed',
          reason: reply.reason,
        };
      return { status: 'invalid' };
    },
  };
}
