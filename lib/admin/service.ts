import type { AuditLog } from '../audit';
import type { ExportStore } from '../export/store';
import type { AdminCommand, AdminRequest, AdminResult } from './commands';
import type { AccountEventEntry } from './scripts';
import type { AdminStore } from './store';

export interface AdminDeps {
  store: AdminStore;
  exports: ExportStore;
  audit: AuditLog;
  now: () => number;
}

const MAX_TARGET = 320;
const MAX_REASON = 500;
const MAX_OPERATOR = 2048;

type Failure = Extract<AdminResult, { ok: false }>['error'];
type Acted = { failure: Failure } | { fields: Record<string, unknown> };
const notFound: Acted = { failure: { code: 'not_found', message: 'No account has this email or user id.' } };

/**
 * The operators' commands. Each takes the account by email or user id, acts at once (no prompt),
 * answers one JSON object and is audited with the operator's IAM identity — refusals included.
 */
export function createAdmin(deps: AdminDeps) {
  const { store, exports, audit, now } = deps;
  // The account's own list says an operator acted, never who: the operator's identity is in the audit log.
  const event = (name: string, fields: Record<string, unknown> = {}): AccountEventEntry => ({
    event: name,
    by: 'operator',
    ...fields,
  });

  const act = async (command: AdminCommand, userId: string, request: AdminRequest): Promise<Acted> => {
    const at = now();
    const summary = await store.find(userId, at);
    if (!summary) return notFound;
    const changed = (outcome: unknown, fields: (value: never) => Record<string, unknown>): Acted =>
      outcome === 'not_found'
        ? notFound
        : outcome === 'stale'
          ? {
              failure: { code: 'conflict', message: 'The account changed meanwhile; run the command again.' },
            }
          : { fields: fields(outcome as never) };
    switch (command) {
      case 'find':
        return { fields: { account: summary } };
      case 'disable': {
        const reason = request.reason ?? '';
        const outcome = await store.disable(userId, reason, event('account_disabled', { reason }), at);
        return changed(outcome, (o: { revoked: number; alreadyDisabled: boolean }) => ({
          userId,
          disabled: true,
          alreadyDisabled: o.alreadyDisabled,
          revokedSessions: o.revoked,
        }));
      }
      case 'enable':
        return changed(
          await store.enable(userId, event('account_enabled'), at),
          (o: { wasDisabled: boolean }) => ({
            userId,
            disabled: false,
            wasDisabled: o.wasDisabled,
          }),
        );
      case 'unlock':
        return changed(
          await store.unlock(userId, summary.user.email, event('account_unlocked'), at),
          (o: { cleared: number }) => ({ userId, unlocked: true, countersCleared: o.cleared }),
        );
      case 'revoke-sessions':
        return changed(
          await store.revokeSessions(userId, event('sessions_revoked'), at),
          (o: { revoked: number }) => ({ userId, revokedSessions: o.revoked }),
        );
      case 'delete':
        return changed(await store.remove(userId, summary.user.email, at), (o: { revoked: number }) => ({
          userId,
          deleted: true,
          revokedSessions: o.revoked,
        }));
      case 'export': {
        const data = await exports.account(userId, at);
        return data ? { fields: { export: data } } : notFound;
      }
    }
  };

  return {
    /** Runs one command; never throws for a bad or unknown account (the answer says so). */
    async run(command: AdminCommand, request: unknown): Promise<AdminResult> {
      const { target, operator, reason } = (request ?? {}) as Partial<AdminRequest>;
      const invalid =
        typeof target !== 'string' || target.trim() === '' || target.length > MAX_TARGET
          ? 'target must be an email or a user id'
          : typeof operator !== 'string' || operator === '' || operator.length > MAX_OPERATOR
            ? 'operator must name the caller'
            : reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON)
              ? `reason must be text of at most ${MAX_REASON} characters`
              : null;
      const who = typeof operator === 'string' ? operator.slice(0, MAX_OPERATOR) : 'unknown';
      if (invalid) {
        audit.record('admin_command', { command, operator: who, outcome: 'validation_failed' });
        return { ok: false, command, error: { code: 'validation_failed', message: invalid } };
      }
      const valid = { target: (target as string).trim(), operator: who, ...(reason ? { reason } : {}) };
      const userId = await store.resolve(valid.target);
      const acted = userId ? await act(command, userId, valid) : notFound;
      audit.record('admin_command', {
        command,
        operator: who,
        userId: userId ?? null,
        ...(valid.reason ? { note: valid.reason } : {}),
        outcome: 'failure' in acted ? acted.failure.code : 'ok',
        ...('fields' in acted && typeof acted.fields.revokedSessions === 'number'
          ? { revokedSessions: acted.fields.revokedSessions }
          : {}),
      });
      return 'failure' in acted
        ? { ok: false, command, error: acted.failure }
        : ({ ok: true, command, ...acted.fields } as AdminResult);
    },
  };
}

export type Admin = ReturnType<typeof createAdmin>;
