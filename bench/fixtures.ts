import { randomBytes } from 'node:crypto';
import type { Config } from '../lib/config';
import { createDatastore } from '../lib/datastore';
import { createPasswordHasher } from '../lib/passwords';
import {
  createTokenService,
  hashRefreshToken,
  newId,
  newRefreshToken,
  type SessionTokens,
} from '../lib/tokens';
import { createUserStore, type StoredUser } from '../lib/users';

/** The password of every bench account (long, not common: it passes the policy). */
export const PASSWORD = 'correct horse battery staple';
/** The password `PUT /users/me/password` alternates with. */
export const OTHER_PASSWORD = 'an even longer passphrase';

export interface Account {
  user: StoredUser;
  password: string;
  session: SessionTokens;
}

/** Makes accounts and sessions for the bench directly through the stores: no Argon2 per fixture. */
export interface Fixtures {
  /** A new account whose hash (production parameters) is of PASSWORD, with one open session. */
  account(): Promise<Account>;
  accounts(count: number): Promise<Account[]>;
  /** Opens `count` more sessions of the account, as a log-in would. */
  sessions(account: Account, count: number): Promise<SessionTokens[]>;
  /** A canonical email nobody has, for registrations. */
  newEmail(): string;
  /** A fresh client address, so no per-IP limit or per-account back-off is ever near. */
  newIp(): string;
}

const CONCURRENCY = 50;

async function inBatches<T>(count: number, make: () => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  while (made.length < count) {
    const size = Math.min(CONCURRENCY, count - made.length);
    made.push(...(await Promise.all(Array.from({ length: size }, make))));
  }
  return made;
}

/**
 * Builds the fixture factory on the same datastore, key prefix and signing key as the handlers,
 * so their tokens verify and their sessions are found. One Argon2 hash is made and shared.
 */
export async function createFixtures(config: Config): Promise<Fixtures> {
  const users = createUserStore(createDatastore(config.datastore), config.keyPrefix);
  const tokens = createTokenService(config.jwt, config);
  const passwordHash = await createPasswordHasher(config.argon2).hash(PASSWORD);
  const ttlMs = config.refreshTokenTtlSeconds * 1000;
  let ipCounter = 0;

  const newSession = () => {
    const refreshToken = newRefreshToken();
    const record = {
      id: newId('ses'),
      refreshHash: hashRefreshToken(refreshToken),
      ttlMs,
      userAgent: 'bench',
    };
    return { refreshToken, record };
  };
  const newEmail = () => `bench.${randomBytes(8).toString('hex')}@example.com`;

  const account = async (): Promise<Account> => {
    const now = Date.now();
    const user: StoredUser = {
      id: newId('usr'),
      name: 'Bench User',
      email: newEmail(),
      passwordHash,
      createdAt: now,
      updatedAt: now,
    };
    const { refreshToken, record } = newSession();
    if ((await users.register(user, record)) !== 'ok') throw new Error('fixture: email taken');
    return { user, password: PASSWORD, session: await tokens.issueSession(user.id, record.id, refreshToken) };
  };

  return {
    account,
    accounts: (count) => inBatches(count, account),
    sessions: (owner, count) =>
      inBatches(count, async () => {
        const { refreshToken, record } = newSession();
        const opened = await users.openSession(owner.user, owner.user.passwordHash, null, record, Date.now());
        if (!opened) throw new Error('fixture: could not open a session');
        return tokens.issueSession(owner.user.id, record.id, refreshToken);
      }),
    newEmail,
    newIp: () => {
      ipCounter += 1;
      return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
    },
  };
}
