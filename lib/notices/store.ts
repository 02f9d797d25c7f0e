import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { scriptRunner } from '../script-runner';
import { deviceOf } from './notices';
import * as scripts from './scripts';

/** Devices remembered per account (the least recent one is forgotten beyond this). */
export const DEVICES_KEPT = 50;

/** What the mail function reads for a notice. */
export interface NoticeStore {
  /** The owner's address, or null when the account is gone. */
  contact(userId: string): Promise<{ email: string } | null>;
  /** Remembers a sign-in's device; whether it is new on an account that had signed in before, and whom to tell. */
  rememberDevice(
    userId: string,
    userAgent: string,
    now: number,
  ): Promise<{ email: string; news: boolean } | null>;
}

export function createNoticeStore(datastore: Datastore, keys: Keys): NoticeStore {
  const run = scriptRunner(datastore, keys);
  const contact = run(scripts.NOTICE_CONTACT);
  const remember = run(scripts.REMEMBER_DEVICE);
  return {
    async contact(userId) {
      const reply = await contact({ userId });
      return reply.status === 'ok' && reply.email ? { email: reply.email } : null;
    },
    async rememberDevice(userId, userAgent, now) {
      const reply = await remember({ userId, device: deviceOf(userAgent), now, kept: DEVICES_KEPT });
      return reply.status === 'ok' && reply.email ? { email: reply.email, news: reply.news === true } : null;
    },
  };
}
