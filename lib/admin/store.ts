import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { iso, toPublicUser, type User } from '../records';
import { scriptRunner } from '../script-runner';
import { FIND_CREDENTIAL } from '../scripts';
import { canonicalEmail } from '../validation';
import * as scripts from './scripts';

/** An account as an operator sees it: never a hash, secret or token. */
export interface AccountSummary {
  user: User;
  disabled: { at: string; reason: string } | null;
  liveSessions: number;
  totpEnabled: boolean;
  passkeys: number;
}

type Outcome<T> = T | 'not_found' | 'stale';

/** The operators' reads and changes; each one round trip (plus the lookup of an email). */
export interface AdminStore {
  /** The user id of an email (canonical form) or of a user id; null when no such account. */
  resolve(target: string): Promise<string | null>;
  find(userId: string, now: number): Promise<AccountSummary | null>;
  disable(
    userId: string,
    reason: string,
    event: scripts.AccountEventEntry,
    now: number,
  ): Promise<Outcome<{ revoked: number; alreadyDisabled: boolean }>>;
  enable(
    userId: string,
    event: scripts.AccountEventEntry,
    now: number,
  ): Promise<Outcome<{ wasDisabled: boolean }>>;
  unlock(
    userId: string,
    email: string,
    event: scripts.AccountEventEntry,
    now: number,
  ): Promise<Outcome<{ cleared: number }>>;
  revokeSessions(
    userId: string,
    event: scripts.AccountEventEntry,
    now: number,
  ): Promise<Outcome<{ revoked: number }>>;
  remove(userId: string, email: string, now: number): Promise<Outcome<{ revoked: number }>>;
}

export function createAdminStore(datastore: Datastore, keys: Keys): AdminStore {
  const run = scriptRunner(datastore, keys);
  const findCredential = run(FIND_CREDENTIAL);
  const find = run(scripts.FIND_ACCOUNT);
  const disable = run(scripts.DISABLE_ACCOUNT);
  const enable = run(scripts.ENABLE_ACCOUNT);
  const unlock = run(scripts.UNLOCK_ACCOUNT);
  const revoke = run(scripts.REVOKE_ACCOUNT_SESSIONS);
  const remove = run(scripts.DELETE_ACCOUNT_BY_OPERATOR);

  return {
    async resolve(target) {
      if (target.includes('@')) {
        const reply = await findCredential({ email: canonicalEmail(target) });
        return reply.status === 'ok' && reply.userId ? reply.userId : null;
      }
      return target;
    },
    async find(userId, now) {
      const reply = await find({ userId, now });
      if (reply.status !== 'ok') return null;
      const { user } = reply;
      return {
        user: toPublicUser(user),
        disabled: user.disabledAt
          ? { at: iso(user.disabledAt), reason: String(user.disabledReason ?? '') }
          : null,
        liveSessions: Number(reply.sessions),
        totpEnabled: reply.totp === true,
        passkeys: Number(reply.passkeys),
      };
    },
    async disable(userId, reason, event, now) {
      const reply = await disable({ userId, reason, entry: event, now });
      return reply.status === 'ok'
        ? { revoked: Number(reply.revoked), alreadyDisabled: reply.alreadyDisabled === true }
        : reply.status;
    },
    async enable(userId, event, now) {
      const reply = await enable({ userId, entry: event, now });
      return reply.status === 'ok' ? { wasDisabled: reply.wasDisabled === true } : reply.status;
    },
    async unlock(userId, email, event, now) {
      const reply = await unlock({ userId, email, entry: event, now });
      return reply.status === 'ok' ? { cleared: Number(reply.cleared) } : reply.status;
    },
    async revokeSessions(userId, event, now) {
      const reply = await revoke({ userId, entry: event, now });
      return reply.status === 'ok' ? { revoked: Number(reply.revoked) } : reply.status;
    },
    async remove(userId, email, now) {
      const reply = await remove({ userId, email, now });
      return reply.status === 'ok' ? { revoked: Number(reply.revoked) } : reply.status;
    },
  };
}
