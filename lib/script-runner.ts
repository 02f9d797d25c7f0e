import type { Datastore } from './datastore';
import type { Keys } from './keys';
import type { Caller } from './records';
import type { Script } from './scripts';

/**
 * Runs `script` with named arguments: its own `encode` puts keys and arguments in place, and the
 * answer is typed as the script declares beside its Lua. A read-only script runs with
 * EVALSHA_RO, then its `afterRead` (the session reads: the session touched if stale,
 * lib/sessions/touch.ts).
 */
export const scriptRunner =
  (datastore: Datastore, keys: Keys) =>
  <A, R extends { status: string }>(script: Script<A, R>) => {
    const runner = datastore.script(script.lua, { readOnly: script.readOnly === true });
    return async (args: A): Promise<R> => {
      const { keys: declared, argv } = script.encode(keys, args);
      // The one place a reply is taken to be what its script declares: the datastore decoded its
      // JSON (a reply that is not JSON is a 503 there), and the type sits beside the Lua that builds it.
      const reply = (await runner(declared, argv)) as R;
      await script.afterRead?.(datastore, keys, args as Caller & { now: number }, reply);
      return reply;
    };
  };
