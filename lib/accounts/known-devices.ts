import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** How long a known-device token is honoured after the successful log-in that issued it. */
export const KNOWN_DEVICE_TTL_SECONDS = 180 * 86_400;

const TOKEN = /^kd1\.(usr_[A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** Issues and reads known-device tokens (see `createKnownDevices`). */
export interface KnownDevices {
  /** A token for the device that just signed in to `userId`. */
  issue(userId: string): string;
  /** The user a valid, unexpired token names; null for anything else. */
  userOf(token: string | undefined): string | null;
}

/**
 * Known devices (docs/security.md, changes from the version 2 security review): a device that signed in to
 * an account successfully holds a token naming that account, and its later log-ins are exempt from
 * the account-wide failure ceiling (never from their own per-client back-off) — so an attacker who
 * trips the ceiling from many addresses does not lock the owner out of the devices they use.
 *
 * The token is stateless: `kd1.<userId>.<issuedAt>.<HMAC-SHA256>`, keyed by a subkey derived with
 * HKDF from a secret the service already reads from SSM (the TOTP encryption key; domain-separated,
 * so neither use can stand in for the other). It grants nothing by itself: only a right password
 * (and second factor) opens a session.
 */
export function createKnownDevices(secret: Buffer, now: () => number): KnownDevices {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'account-service known-device v1', 32));
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    issue(userId) {
      const payload = `kd1.${userId}.${Math.floor(now() / 1000)}`;
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    userOf(token) {
      const match = token === undefined ? null : TOKEN.exec(token);
      if (!match) return null;
      const [, userId, issuedAt, signature] = match as unknown as [string, string, string, string];
      const expected = mac(`kd1.${userId}.${issuedAt}`);
      const presented = Buffer.from(signature, 'base64url');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
      const ageSeconds = now() / 1000 - Number(issuedAt);
      return ageSeconds >= -60 && ageSeconds <= KNOWN_DEVICE_TTL_SECONDS ? userId : null;
    },
  };
}
