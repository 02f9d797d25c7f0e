import type { Datastore, ScriptRunner } from '../datastore';
import type { Keys } from '../keys';
import { TOUCH_SESSION } from './scripts';

/**
 * Authenticated reads are read-only scripts (EVALSHA_RO), so that Upstash Global can answer them
 * from the replica nearest the caller and they take only shared locks. A session's `lastUsedAt`
 * (shown by `GET /sessions`, which sorts by it) is then written apart, by TOUCH_SESSION, and only
 * when the read found it at least `datastore.sessionTouchMs` old (SESSION_TOUCH_SECONDS, 60 s): a
 * warm client reading every few seconds writes once a minute, not on every request. The touch
 * is awaited (a Lambda may be frozen the moment it answers) but never fails the read: it is
 * logged, and the next read tries again. docs/decisions.md says how stale this lets it be.
 */
const runners = new WeakMap<Datastore, ScriptRunner>();

/** What a read-only session check answers: its status and the session's `lastUsedAt` (epoch ms). */
export interface SessionRead {
  status: string;
  lastUsedAt?: string | number;
  /** Set here when this read wrote `lastUsedAt`: the time written. */
  touchedAt?: number;
}

/** Touches the caller's session after a successful read-only check, if its `lastUsedAt` is stale. */
export async function touchIfStale(
  datastore: Datastore,
  keys: Keys,
  caller: { userId: string; sessionId: string; now: number },
  read: SessionRead,
): Promise<void> {
  if (read.status !== 'ok' || read.lastUsedAt === undefined) return;
  if (caller.now - Number(read.lastUsedAt) < datastore.sessionTouchMs) return;
  let touch = runners.get(datastore);
  if (!touch) {
    touch = datastore.script(TOUCH_SESSION.lua);
    runners.set(datastore, touch);
  }
  const { keys: declared, argv } = TOUCH_SESSION.encode(keys, {
    userId: caller.userId,
    sessionId: caller.sessionId,
    now: caller.now,
  });
  try {
    await touch(declared, argv);
    read.touchedAt = caller.now;
  } catch (error) {
    // The read succeeded; a lost touch only leaves lastUsedAt older until the next read.
    console.error(
      JSON.stringify({
        level: 'WARN',
        message: 'session touch failed',
        sessionId: caller.sessionId,
        cause: error instanceof Error ? error.name : 'unknown',
      }),
    );
  }
}
