import { randomBytes } from 'node:crypto';

/** The password every test account is registered with: long, uncommon, passes the policy. */
export const PASSWORD = 'correct horse battery staple';

/** An address nobody has registered: `<tag>.<random>@example.com`. */
export const uniqueEmail = (tag = 'user'): string => `${tag}.${randomBytes(6).toString('hex')}@example.com`;
