import type * as z from 'zod/mini';
import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { byCodeUnits, iso, toPublicUser } from '../records';
import type * as resources from '../resources';
import { scriptRunner } from '../script-runner';
import type { LuaList } from '../scripts';
import * as scripts from './scripts';

/**
 * Everything an account's export holds (README "Operations"; the `AccountExport`
 * schema in lib/resources.ts, where no session is `current` yet). Never a hash, secret or token.
 */
export type AccountData = z.infer<typeof resources.AccountExport> & {
  /** Set while an operator has disabled the account (admin exports only show it). */
  disabled: { at: string; reason: string } | null;
};

// cjson encodes an empty Lua table as {}: read every list through this.
const list = <T>(value: LuaList<T> | undefined): T[] => (Array.isArray(value) ? value : []);
const isoOrNull = (ms: string | null | undefined) =>
  ms === undefined || ms === null || ms === '' ? null : iso(ms);

function toAccountData(reply: scripts.AccountDataReply): AccountData {
  const { user } = reply;
  const passkeys = list(reply.passkeys).map((p) => ({
    id: String(p.id),
    name: String(p.name),
    createdAt: iso(p.createdAt),
    lastUsedAt: isoOrNull(p.lastUsedAt),
  }));
  return {
    user: toPublicUser(user),
    disabled: user.disabledAt
      ? { at: iso(user.disabledAt), reason: String(user.disabledReason ?? '') }
      : null,
    sessions: list(reply.sessions)
      .map((s) => ({
        id: String(s.id),
        createdAt: iso(s.createdAt),
        lastUsedAt: iso(s.lastUsedAt),
        expiresAt: iso(s.expiresAt),
        userAgent: s.userAgent ? String(s.userAgent) : null,
        current: false,
      }))
      .sort((a, b) => byCodeUnits(b.lastUsedAt, a.lastUsedAt)),
    identities: [],
    passkeys,
    security: {
      totp: { enabled: reply.totpEnabled === true, enabledAt: isoOrNull(reply.totpEnabledAt) },
      recoveryCodesLeft: Number(reply.recoveryCodesLeft ?? 0),
      passkeys: passkeys.length,
    },
    events: list(reply.events).map((raw) => {
      const { at, ...rest } = JSON.parse(raw) as Record<string, unknown>;
      return { ...rest, event: String(rest.event), at: iso(String(at)) };
    }),
  };
}

/** Reads an account's export: one round trip. */
export interface ExportStore {
  /** The caller's own data; null when the session is gone. */
  own(caller: { userId: string; sessionId: string }, now: number): Promise<AccountData | null>;
  /** Any account's data, for an operator; null when there is no such user. */
  account(userId: string, now: number): Promise<AccountData | null>;
}

export function createExportStore(datastore: Datastore, keys: Keys): ExportStore {
  const run = scriptRunner(datastore, keys);
  const own = run(scripts.EXPORT_OWN);
  const account = run(scripts.EXPORT_ACCOUNT);
  return {
    async own(caller, now) {
      const reply = await own({ userId: caller.userId, sessionId: caller.sessionId, now });
      return reply.status === 'ok' ? toAccountData(reply) : null;
    },
    async account(userId, now) {
      const reply = await account({ userId, now });
      return reply.status === 'ok' ? toAccountData(reply) : null;
    },
  };
}
