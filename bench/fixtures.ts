import { createHash, randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { signInAtProvider } from '../dev/provider-browser';
import { SoftAuthenticator } from '../dev/soft-authenticator';
import { createUserStore } from '../lib/accounts/store';
import { createAuditLog } from '../lib/audit';
import type { Config } from '../lib/config';
import { createDatastore } from '../lib/datastore';
import { codeHashKey } from '../lib/email-sign-in/pair';
import { createEmailSignInIssuer } from '../lib/email-sign-in/store';
import { createKeys } from '../lib/keys';
import { createMfaStore } from '../lib/mfa/store';
import {
  encryptTotpSecret,
  hashRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  totpStep,
} from '../lib/mfa/totp';
import { deviceOfClient } from '../lib/notices/notices';
import { createProviderClient } from '../lib/oauth/protocol';
import { createOAuth } from '../lib/oauth/service';
import { createOAuthStore } from '../lib/oauth/store';
import { createPasskeyCeremonies } from '../lib/passkeys/ceremonies';
import { createPasskeys } from '../lib/passkeys/service';
import { createPasswordHasher } from '../lib/passwords';
import type { StoredUser } from '../lib/records';
import { createLinkStore, createMailLinks } from '../lib/recovery/store';
import {
  createTokenService,
  hashRefreshToken,
  newId,
  newMfaToken,
  newRefreshToken,
  type SessionTokens,
} from '../lib/tokens';

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
  /** Accounts whose address is not proved yet (what a resent verification link is for). */
  unverifiedAccounts(count: number): Promise<Account[]>;
  /** Opens `count` more sessions of the account, as a log-in would. */
  sessions(account: Account, count: number): Promise<SessionTokens[]>;
  /** A canonical email nobody has, for registrations. */
  newEmail(): string;
  /** A fresh client address, so no per-IP limit or per-account back-off is ever near. */
  newIp(): string;
  /** A live mailed-link token of `purpose` for a new account, issued as the mail function issues it. */
  link(purpose: 'verify' | 'reset' | 'revert'): Promise<string>;
  /** A live sign-in mail's link token for an address without an account (it signs up), as the mail function issues it. */
  signInLink(): Promise<string>;
  /** A new account with a TOTP enrollment pending (`confirmed: false`) or TOTP on, and its secret. */
  totpAccount(confirmed: boolean): Promise<Account & { secret: string; recoveryCodes: string[] }>;
  /** A log-in of a new TOTP account waiting for its second factor: the mfaToken and the secret. */
  mfaLogin(): Promise<{ mfaToken: string; secret: string; recoveryCode: string }>;
  /** A new account and a registration response to its live challenge, from a fresh authenticator. */
  passkeyRegistration(): Promise<{ account: Account; response: unknown }>;
  /** A new account with one passkey, on the returned authenticator. */
  passkeyAccount(): Promise<{ account: Account; authenticator: SoftAuthenticator }>;
  /** A log-in response of `authenticator` to a new live challenge (each one once). */
  passkeyLogin(authenticator: SoftAuthenticator): Promise<unknown>;
  /** Where social sign-ins send the browser back to (an allowed origin: APP_URL's). */
  redirectUri: string;
  /** A finished social sign-in of a new identity, waiting for the app: its one-time code and verifier. */
  socialCode(): Promise<{ code: string; verifier: string }>;
  /** A new account (with a password) with one linked identity. */
  identityAccount(): Promise<{ account: Account; identityId: string }>;
  /**
   * A social sign-in at the `oidc` provider (the local identity provider the bench runs), up to
   * the provider's answer: the callback's query string. Its code lives 60 s at the provider.
   */
  providerAnswer(): Promise<string>;
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
  const datastore = createDatastore(config.datastore);
  const users = createUserStore(datastore, createKeys(config.keyPrefix));
  const links = createMailLinks(datastore, createKeys(config.keyPrefix), config.mail);
  // An hour, not 600 s: the cold first responses use them minutes after they were made.
  const signIns = createEmailSignInIssuer(datastore, createKeys(config.keyPrefix), {
    codeKey: codeHashKey(config.totpEncryptionKey),
    ttlSeconds: 3600,
  });
  const mfa = createMfaStore(datastore, createKeys(config.keyPrefix));
  const linkStore = createLinkStore(datastore, createKeys(config.keyPrefix));
  // The fixtures mail nobody, and make many passkey log-ins from one address: no limit, on purpose.
  const noMail = { enqueue: async () => undefined };
  const passkeys = createPasskeys({
    datastore,
    keys: createKeys(config.keyPrefix),
    users,
    limitLogin: async () => undefined,
    mail: noMail,
    tokens: createTokenService(config.jwt, config),
    audit: createAuditLog(new Logger({ logLevel: 'SILENT' })),
    settings: config,
    now: Date.now,
  });
  const ceremonies = createPasskeyCeremonies({
    datastore,
    keys: createKeys(config.keyPrefix),
    mail: noMail,
    tokens: createTokenService(config.jwt, config),
    audit: createAuditLog(new Logger({ logLevel: 'SILENT' })),
    settings: config,
    now: Date.now,
  });
  const origin = config.webauthn.origins[0] as string;
  const passkeyRegistration = async () => {
    const owner = await account();
    const caller = { userId: owner.user.id, sessionId: owner.session.sessionId };
    const { options } = await passkeys.registrationOptions(caller, {});
    const authenticator = new SoftAuthenticator();
    return { account: owner, authenticator, response: authenticator.register(options, origin) };
  };
  const tokens = createTokenService(config.jwt, config);
  const oauthStore = createOAuthStore(datastore, createKeys(config.keyPrefix));
  const oauth = createOAuth({
    store: oauthStore,
    clientFor: createProviderClient,
    tokens,
    audit: createAuditLog(new Logger({ logLevel: 'SILENT' })),
    settings: config,
    now: Date.now,
  });
  const passwordHash = await createPasswordHasher(config.argon2).hash(PASSWORD);
  const ttlMs = config.refreshTokenTtlSeconds * 1000;
  let ipCounter = 0;

  const newSession = (userId: string) => {
    const id = newId('ses');
    const refreshToken = newRefreshToken(userId, id);
    const record = {
      id,
      refreshHash: hashRefreshToken(refreshToken),
      ttlMs,
      userAgent: 'bench',
    };
    return { refreshToken, record };
  };
  const newEmail = () => `bench.${randomBytes(8).toString('hex')}@example.com`;

  const account = async (verified = true): Promise<Account> => {
    const now = Date.now();
    const user: StoredUser = {
      id: newId('usr'),
      name: 'Bench User',
      email: newEmail(),
      emailVerified: false,
      passwordHash,
      createdAt: now,
      updatedAt: now,
    };
    const { refreshToken, record } = newSession(user.id);
    if ((await users.register(user, record, deviceOfClient({ userAgent: 'bench' }))) !== 'ok')
      throw new Error('fixture: email taken');
    // Proved addresses, as the mail function's link would prove them: second factors and passkeys need one.
    if (verified) {
      const link = await links.issueVerification(user.id, now);
      if (!link || !(await linkStore.consumeVerification(link.token, now)))
        throw new Error('fixture: verification refused');
      user.emailVerified = true;
    }
    return {
      user,
      password: PASSWORD,
      session: await tokens.issueSession(user.id, record.id, refreshToken, { method: 'password' }),
    };
  };

  const totpAccount = async (
    confirmed: boolean,
  ): Promise<Account & { secret: string; recoveryCodes: string[] }> => {
    const owner = await account();
    const caller = { userId: owner.user.id, sessionId: owner.session.sessionId };
    const secret = newTotpSecret();
    const sealed = encryptTotpSecret(config.totpEncryptionKey, owner.user.id, secret);
    const now = Date.now();
    if ((await mfa.enroll(caller, owner.user.passwordHash, sealed, now)) !== 'ok')
      throw new Error('fixture: TOTP enrollment refused');
    // Confirmed two steps back, so the codes of now and the next minute are all still unused.
    const recoveryCodes = newRecoveryCodes();
    const hashes = recoveryCodes.map((code) =>
      hashRecoveryCode(config.totpEncryptionKey, owner.user.id, code),
    );
    if (confirmed && (await mfa.confirm(caller, sealed, totpStep(now) - 2, hashes, now)) !== 'ok')
      throw new Error('fixture: TOTP confirmation refused');
    return { ...owner, secret, recoveryCodes };
  };

  return {
    account,
    accounts: (count) => inBatches(count, () => account()),
    unverifiedAccounts: (count) => inBatches(count, () => account(false)),
    sessions: (owner, count) =>
      inBatches(count, async () => {
        const { refreshToken, record } = newSession(owner.user.id);
        const credential = {
          userId: owner.user.id,
          email: owner.user.email,
          passwordHash: owner.user.passwordHash,
          ceilingCounted: true,
        };
        const opened = await users.openSession(
          credential,
          '127.0.0.1',
          owner.user.passwordHash,
          null,
          false,
          record,
          { id: 'mfa_unused', hash: 'unused', ttlMs: 300_000, userAgent: 'bench' },
          Date.now(),
        );
        if (!opened || typeof opened === 'string' || 'mfaRequired' in opened)
          throw new Error('fixture: could not open a session');
        return tokens.issueSession(owner.user.id, record.id, refreshToken, { method: 'password' });
      }),
    newEmail,
    async link(purpose) {
      const { user } = await account(purpose !== 'verify');
      const issued =
        purpose === 'verify'
          ? await links.issueVerification(user.id, Date.now())
          : purpose === 'revert'
            ? await links.issueRevert(user.id, user.email, Date.now())
            : await links.issueReset(user.email, Date.now());
      if (!issued) throw new Error(`fixture: no ${purpose} link`);
      return issued.token;
    },
    async signInLink() {
      const issued = await signIns.issue(newEmail(), true, Date.now());
      if (!issued) throw new Error('fixture: no sign-in mail');
      return issued.token;
    },
    totpAccount,
    async mfaLogin() {
      const owner = await totpAccount(true);
      const mfaToken = newMfaToken(owner.user.id);
      const opened = await users.openSession(
        {
          userId: owner.user.id,
          email: owner.user.email,
          passwordHash: owner.user.passwordHash,
          ceilingCounted: true,
        },
        '127.0.0.1',
        owner.user.passwordHash,
        null,
        false,
        newSession(owner.user.id).record,
        // An hour, not 300 s: the cold first responses use it minutes after it was made.
        {
          id: mfaToken.loginId,
          hash: hashRefreshToken(mfaToken.token),
          ttlMs: 3_600_000,
          userAgent: 'bench',
        },
        Date.now(),
      );
      if (!opened || typeof opened !== 'object' || !('mfaRequired' in opened))
        throw new Error('fixture: the log-in did not wait for a second factor');
      return {
        mfaToken: mfaToken.token,
        secret: owner.secret,
        recoveryCode: owner.recoveryCodes[0] as string,
      };
    },
    passkeyRegistration: async () => {
      const { account: owner, response } = await passkeyRegistration();
      return { account: owner, response };
    },
    async passkeyAccount() {
      const { account: owner, authenticator, response } = await passkeyRegistration();
      const caller = { userId: owner.user.id, sessionId: owner.session.sessionId };
      await ceremonies.add(caller, { response: response as Record<string, unknown> });
      return { account: owner, authenticator };
    },
    async passkeyLogin(authenticator) {
      const { options } = await passkeys.loginOptions({ ip: '127.0.0.1', userAgent: 'bench' } as never);
      return authenticator.authenticate(options, origin);
    },
    redirectUri: `${config.mail.appUrl}/oauth-callback`,
    async socialCode() {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const userId = newId('usr');
      const code = `${userId}.${randomBytes(32).toString('base64url')}`;
      const email = newEmail();
      const result = await oauthStore.signIn({
        provider: 'oidc',
        subject: `bench-${randomBytes(8).toString('hex')}`,
        email,
        emailVerified: true,
        name: 'Bench User',
        userId,
        identityId: newId('idn'),
        expect: { identityUser: '', emailUser: '' },
        code: { hash: createHash('sha256').update(code).digest('base64url'), challenge, ttlMs: 60_000 },
        now: Date.now(),
      });
      if (result.status !== 'ok') throw new Error('fixture: the sign-in was not stored');
      return { code, verifier };
    },
    async identityAccount() {
      const owner = await account();
      const identityId = newId('idn');
      const linked = await oauthStore.link({
        provider: 'oidc',
        subject: `bench-${randomBytes(8).toString('hex')}`,
        email: owner.user.email,
        userId: owner.user.id,
        sessionId: owner.session.sessionId,
        identityId,
        now: Date.now(),
      });
      if (linked !== 'ok') throw new Error('fixture: the identity was not linked');
      return { account: owner, identityId };
    },
    async providerAnswer() {
      const challenge = createHash('sha256')
        .update(randomBytes(32).toString('base64url'))
        .digest('base64url');
      const { authorizationUrl } = await oauth.start(
        'oidc',
        { redirectUri: `${config.mail.appUrl}/oauth-callback`, codeChallenge: challenge },
        undefined,
        { ip: '127.0.0.1', userAgent: 'bench' },
      );
      const answer = await signInAtProvider(
        authorizationUrl,
        { email: newEmail(), name: 'Bench User', emailVerified: true },
        config.apiUrl,
      );
      return answer.params.toString();
    },
    newIp: () => {
      ipCounter += 1;
      return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
    },
  };
}
