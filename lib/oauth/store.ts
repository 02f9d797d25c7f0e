import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { type Caller, type NewSession, toPublicUser, type User } from '../records';
import { scriptRunner } from '../script-runner';
import type { MfaLoginArgs } from '../scripts';
import type { ProviderId } from './config';
import { identityCleanupArgs } from './identity-cleanup';
import * as scripts from './scripts';

/** A sign-in at the provider, as its state keeps it (the state's hash names the key). */
export interface StateRecord {
  provider: ProviderId;
  /** The service's PKCE verifier towards the provider. */
  verifier: string;
  nonce: string;
  /** Where the browser goes back to, and the app's S256 challenge for the one-time code. */
  redirectUri: string;
  challenge: string;
  /** A link started by a signed-in caller, else null. */
  link: Caller | null;
  expiresAt: number;
}

/** A linked identity as stored. */
export interface StoredIdentity {
  id: string;
  provider: ProviderId;
  subject: string;
  email: string | null;
  createdAt: string;
  lastUsedAt?: string;
}

export type SignInOutcome = scripts.SignInOutcome;

/** Social log-in's records in Redis; every method is one round trip and one atomic script. */
export interface OAuthStore {
  /**
   * Counts the client's start in its window and, within the limit (and, for a link, with the
   * caller's session alive), keeps the state record.
   */
  start(args: {
    stateHash: string;
    record: StateRecord;
    ttlMs: number;
    client: string;
    limit: { limit: number; windowSeconds: number };
    now: number;
  }): Promise<{ status: 'ok' | 'unauthorized' } | { status: 'limited'; retryAfterMs: number }>;
  /** The state's record, once; null when unknown, spent or expired. */
  takeState(stateHash: string, now: number): Promise<StateRecord | null>;
  /** Who holds the identity and the email now (empty: nobody). */
  lookup(
    provider: ProviderId,
    subject: string,
    email: string,
  ): Promise<{ identityUser: string; emailUser: string }>;
  signIn(
    args: Omit<Parameters<typeof scripts.SIGN_IN.encode>[1], 'providers' | 'indexAt'>,
  ): Promise<{ status: 'ok'; outcome: SignInOutcome } | { status: 'retry' | 'link_required' }>;
  link(args: Parameters<typeof scripts.LINK.encode>[1]): Promise<'ok' | 'identity_taken' | 'unauthorized'>;
  redeem(args: {
    codeHash: string;
    userId: string;
    challenge: string;
    client: string;
    now: number;
    session: NewSession;
    mfaLogin: MfaLoginArgs;
  }): Promise<
    | { status: 'ok'; user: User; created: boolean }
    | { status: 'mfa_required'; methods: string[] }
    | { status: 'invalid' }
  >;
  list(caller: Caller, now: number): Promise<{ identities: StoredIdentity[]; hasPassword: boolean } | null>;
  unlink(
    caller: Caller,
    identityId: string,
    now: number,
  ): Promise<'ok' | 'unauthorized' | 'not_found' | 'last_sign_in_method'>;
}

// The store comes in parts, one per function (or two): a function bundles only the scripts of the
// parts its services builder names (lib/oauth/services.ts).

/** Starting a sign-in: the limit, the link's session check and the state, in one script. */
export function createStartStore(datastore: Datastore, keys: Keys): Pick<OAuthStore, 'start'> {
  const start = scriptRunner(datastore, keys)(scripts.START);
  return {
    async start({ stateHash, record, ttlMs, client, limit, now }) {
      const windowMs = limit.windowSeconds * 1000;
      const reply = await start({
        stateHash,
        record: JSON.stringify(record),
        ttlMs,
        window: `${client}:${Math.floor(now / windowMs)}`,
        limit: limit.limit,
        windowMs,
        now,
        link: record.link,
      });
      if (reply.status === 'limited') return { status: 'limited', retryAfterMs: Number(reply.retryAfterMs) };
      return { status: reply.status };
    },
  };
}

/** The callback: the state taken, who signs in decided, or the identity linked. */
export function createCallbackStore(
  datastore: Datastore,
  keys: Keys,
): Pick<OAuthStore, 'takeState' | 'lookup' | 'signIn' | 'link'> {
  const run = scriptRunner(datastore, keys);
  const takeState = run(scripts.TAKE_STATE);
  const lookup = run(scripts.LOOKUP);
  const signIn = run(scripts.SIGN_IN);
  const link = run(scripts.LINK);
  return {
    async takeState(stateHash, now) {
      const reply = await takeState({ stateHash, now });
      return reply.status === 'ok' ? (JSON.parse(reply.record) as StateRecord) : null;
    },
    async lookup(provider, subject, email) {
      const { identityUser, emailUser } = await lookup({ provider, subject, email });
      return { identityUser, emailUser };
    },
    async signIn(args) {
      // SIGN_IN names 12 keys; the providers' index keys follow.
      const reply = await signIn({ ...args, ...identityCleanupArgs(13) });
      if (reply.status === 'ok') return { status: 'ok', outcome: reply.outcome };
      return { status: reply.status };
    },
    async link(args) {
      return (await link(args)).status;
    },
  };
}

/** Redeeming a one-time code. */
export function createCodeStore(datastore: Datastore, keys: Keys): Pick<OAuthStore, 'redeem'> {
  const redeem = scriptRunner(datastore, keys)(scripts.REDEEM_CODE);
  return {
    async redeem({ session, ...args }) {
      const reply = await redeem({ ...args, session: { ...session } });
      if (reply.status === 'ok')
        return { status: 'ok', user: toPublicUser(reply.user), created: reply.created === true };
      if (reply.status === 'mfa_required') return { status: 'mfa_required', methods: reply.methods };
      return { status: 'invalid' };
    },
  };
}

/** Listing and unlinking the caller's identities. */
export function createIdentityStore(datastore: Datastore, keys: Keys): Pick<OAuthStore, 'list' | 'unlink'> {
  const run = scriptRunner(datastore, keys);
  const list = run(scripts.LIST_IDENTITIES);
  const unlink = run(scripts.UNLINK_IDENTITY);
  return {
    async list(caller, now) {
      const reply = await list({ userId: caller.userId, sessionId: caller.sessionId, now });
      if (reply.status !== 'ok') return null;
      // cjson encodes an empty array as an empty object.
      const raw = Array.isArray(reply.identities) ? reply.identities : [];
      return {
        identities: raw.map((entry) => JSON.parse(entry) as StoredIdentity),
        hasPassword: reply.hasPassword === true,
      };
    },
    async unlink(caller, identityId, now) {
      const reply = await unlink({
        userId: caller.userId,
        sessionId: caller.sessionId,
        identityId,
        now,
        ...identityCleanupArgs(5),
      });
      return reply.status;
    },
  };
}

/** Every part (tests, fixtures). */
export const createOAuthStore = (datastore: Datastore, keys: Keys): OAuthStore => ({
  ...createStartStore(datastore, keys),
  ...createCallbackStore(datastore, keys),
  ...createCodeStore(datastore, keys),
  ...createIdentityStore(datastore, keys),
});
