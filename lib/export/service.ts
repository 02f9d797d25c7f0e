import { UnauthorizedError } from '../errors';
import type { Caller } from '../records';
import type { AccountData, ExportStore } from './store';

/** `GET /users/me/export`: what the owner gets (the admin export also shows whether it is disabled). */
export type OwnExport = Omit<AccountData, 'disabled'>;

/** The self-service export: everything the service keeps about the caller, in one round trip. */
export function createAccountExport(deps: { store: ExportStore; now: () => number }) {
  return {
    async exportOwn(caller: Caller): Promise<OwnExport> {
      const data = await deps.store.own(caller, deps.now());
      if (!data) throw new UnauthorizedError(true);
      const { disabled: _, ...own } = data;
      return { ...own, sessions: own.sessions.map((s) => ({ ...s, current: s.id === caller.sessionId })) };
    },
  };
}

export type AccountExport = ReturnType<typeof createAccountExport>;
