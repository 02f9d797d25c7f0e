import type { AuditLog } from '../audit';
import type { Config } from '../config';
import type { Datastore } from '../datastore';
import { problem, UnauthorizedError, wired } from '../errors';
import type { ClientInfo } from '../http';
import type { Keys } from '../keys';
import type { MailQueue } from '../mail/queue';
import { noticeJob, signInJob } from '../notices/notices';
import { type Caller, toPublicUser, type User } from '../records';
import { scriptRunner } from '../script-runner';
import * as scripts from '../scripts';
import { createSessions } from '../sessions/service';
import type { SessionTokens, TokenService } from '../tokens';
import type { AddPasskeyBody, PasskeyLoginBody } from '../validation';
import { type Passkey, parseStored, type StoredPasskey, shown } from './service';
import { CeremonyRefusedError, verifyAuthentication, verifyRegistration } from './verifier';

export interface PasskeyCeremonyDeps {
  datastore: Datastore;
  keys: Keys;
  /**
   * The per-IP log-in limit (a passkey log-in counts as a log-in), audited; handed in as a
   * function so that adding a passkey bundles no rate limiter. A log-in without it throws.
   */
  limitLogin?: (client: ClientInfo) => Promise<void>;
  tokens: TokenService;
  audit: AuditLog;
  /** Where the owner's notices go (a passkey added, a sign-in from a new device). */
  mail: MailQueue;
  settings: Pick<Config, 'webauthn' | 'refreshTokenTtlSeconds' | 'requireVerifiedEmail'>;
  now: () => number;
}

const USER_ID = /^usr_[A-Za-z0-9_-]{22}$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,1400}$/;

/** What a passkey log-in response names before anything is verified: its user, credential and challenge. */
function loginClaims(
  response: PasskeyLoginBody['response'],
): { userId: string; credentialId: string; challenge: string } | null {
  const r = response as { id?: unknown; response?: { userHandle?: unknown; clientDataJSON?: unknown } };
  const { id } = r;
  const userHandle = r.response?.userHandle;
  const clientData = r.response?.clientDataJSON;
  if (typeof id !== 'string' || !BASE64URL.test(id)) return null;
  if (typeof userHandle !== 'string' || !BASE64URL.test(userHandle)) return null;
  if (typeof clientData !== 'string' || !BASE64URL.test(clientData)) return null;
  const userId = Buffer.from(userHandle, 'base64url').toString('utf8');
  if (!USER_ID.test(userId)) return null;
  try {
    const { challenge } = JSON.parse(Buffer.from(clientData, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return null;
    return { userId, credentialId: id, challenge };
  } catch {
    return null;
  }
}

export type PasskeyCeremonies = ReturnType<typeof createPasskeyCeremonies>;
export type PasskeyRegistration = ReturnType<typeof createPasskeyRegistration>;
export type PasskeyLogIn = ReturnType<typeof createPasskeyLogIn>;

/** What both ceremonies share: the caller's script arguments and the audited refusal. */
function ceremonyParts({ audit, now }: PasskeyCeremonyDeps) {
  return {
    at: (caller: Caller) => ({ userId: caller.userId, sessionId: caller.sessionId, now: now() }),
    refused: (reason: string, userId: string | null, client?: ClientInfo) => {
      audit.record('passkey_refused', {
        userId,
        ...(client ? { ip: client.ip } : {}),
        passkeyReason: reason,
      });
      return problem('passkey_invalid');
    },
  };
}

/**
 * The passkey ceremonies' second halves, verified by lib/passkeys/verifier.ts: a registration
 * response against the caller's live challenge, a log-in assertion against the stored public key
 * (user verification required), challenges taken once, the counter checked atomically with the
 * session it opens. Every refusal is `passkey_invalid`, audited with its reason, nothing written.
 * Each half is its own builder, so that each of the two functions bundles only its own verifier,
 * scripts and (for the log-in) session opening.
 */
export function createPasskeyCeremonies(deps: PasskeyCeremonyDeps) {
  return { ...createPasskeyRegistration(deps), ...createPasskeyLogIn(deps) };
}

/** Adding a passkey: the registration ceremony's second half. */
export function createPasskeyRegistration(deps: PasskeyCeremonyDeps) {
  const { datastore, keys, audit, settings, now } = deps;
  const { rpId, origins } = settings.webauthn;
  const run = scriptRunner(datastore, keys);
  const takeRegistration = run(scripts.TAKE_PASSKEY_REGISTRATION_CHALLENGE);
  const add = run(scripts.ADD_PASSKEY);
  const { at, refused } = ceremonyParts(deps);

  return {
    /** Verifies a registration response against the caller's live challenge and stores the passkey. */
    async add(caller: Caller, body: AddPasskeyBody): Promise<{ passkey: Passkey }> {
      const taken = await takeRegistration(at(caller));
      if (taken.status === 'unauthorized') throw new UnauthorizedError(true);
      if (taken.status !== 'ok') throw refused('no_live_challenge', caller.userId);
      let credential: ReturnType<typeof verifyRegistration>;
      try {
        credential = verifyRegistration(body.response, {
          challenge: taken.challenge,
          origins,
          rpId,
        });
      } catch (error) {
        if (!(error instanceof CeremonyRefusedError)) throw error;
        throw refused('registration_not_verified', caller.userId);
      }
      const created = now();
      const passkey: StoredPasskey = {
        id: credential.id,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports,
        name: body.name ?? 'Passkey',
        createdAt: String(created),
        lastUsedAt: null,
      };
      const stored = await add({ ...at(caller), passkey: { ...passkey } });
      if (stored.status === 'unauthorized') throw new UnauthorizedError(true);
      if (stored.status === 'unverified') throw problem('email_not_verified');
      if (stored.status !== 'ok') throw refused('already_registered', caller.userId);
      audit.record('passkey_added', { userId: caller.userId, sessionId: caller.sessionId });
      await deps.mail.enqueue(noticeJob(caller.userId, 'passkey-added', passkey.name));
      return { passkey: shown(passkey) };
    },
  };
}

/** Logging in with a passkey: the authentication ceremony's second half. */
export function createPasskeyLogIn(deps: PasskeyCeremonyDeps) {
  const { datastore, keys, tokens, audit, settings, now } = deps;
  const sessions = createSessions({ tokens, settings });
  const { rpId, origins } = settings.webauthn;
  const run = scriptRunner(datastore, keys);
  const takeLogin = run(scripts.TAKE_PASSKEY_LOGIN_CHALLENGE);
  const login = run(scripts.PASSKEY_LOGIN);
  const { refused } = ceremonyParts(deps);

  return {
    /**
     * A passkey log-in: the challenge it signed is taken once, the assertion verified against
     * the stored public key (user verification required), the counter checked; then a session.
     */
    async logIn(body: PasskeyLoginBody, client: ClientInfo): Promise<{ user: User; session: SessionTokens }> {
      await wired(deps.limitLogin, 'the per-IP log-in limit')(client);
      const claims = loginClaims(body.response);
      if (!claims) throw refused('malformed_response', null, client);
      const taken = await takeLogin(claims);
      if (taken.status === 'invalid') throw refused('no_live_challenge', claims.userId, client);
      if (taken.status !== 'ok') throw refused('unknown_credential', claims.userId, client);
      const passkey = parseStored(taken.passkey);
      let newCounter: number;
      try {
        ({ newCounter } = verifyAuthentication(
          body.response,
          { challenge: claims.challenge, origins, rpId },
          passkey,
        ));
      } catch (error) {
        if (!(error instanceof CeremonyRefusedError)) throw error;
        const counter = error.reason === 'counter';
        throw refused(counter ? 'counter_went_backwards' : 'assertion_not_verified', claims.userId, client);
      }
      const opened = sessions.open(claims.userId, client);
      const reply = await login({
        userId: claims.userId,
        credentialId: passkey.id,
        counter: newCounter,
        requireVerified: settings.requireVerifiedEmail,
        now: now(),
        session: { ...opened.record },
      });
      if (reply.status === 'counter') throw refused('counter_went_backwards', claims.userId, client);
      // After the assertion verified: as the password log-in, this reveals nothing to a guesser.
      if (reply.status === 'unverified') throw problem('email_not_verified');
      if (reply.status !== 'ok') throw refused('unknown_credential', claims.userId, client);
      audit.record('logged_in', {
        userId: claims.userId,
        sessionId: opened.record.id,
        ip: client.ip,
        factor: 'passkey',
      });
      const user = toPublicUser(reply.user);
      await deps.mail.enqueue(signInJob(claims.userId, client));
      return {
        user,
        session: await opened.tokens({ method: 'passkey', user }),
      };
    },
  };
}
