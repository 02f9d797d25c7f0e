import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238) as docs/security.md fixes it: SHA-1, 6 digits, 30-second steps, ±1 step of drift, 160-bit
 * secrets. The code check is `otpauth`'s (a maintained implementation that compares in constant
 * time); this module adds what a server needs around it: which time step a code belongs to (so a
 * step is accepted once per user), the secret's encryption at rest, and recovery codes.
 */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const WINDOW = 1;

/** A new 160-bit secret, base32 (what authenticator apps take). */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

const totp = (secret: string, issuer: string, label: string) =>
  new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });

/** The `otpauth://totp/…` URI an authenticator app scans (as a QR code). */
export const otpauthUri = (secret: string, issuer: string, account: string): string =>
  totp(secret, issuer, account).toString();

/** The time step of `at` (ms): a code is accepted at most once per step and user. */
export const totpStep = (at: number): number => Math.floor(at / 1000 / PERIOD_SECONDS);

/**
 * The time step `code` is valid for at `at` (within ±1 step), or null. Only six digits are
 * looked at; anything else is refused without computing a code.
 */
export function totpCodeStep(secret: string, code: string, at: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret, '', '').validate({ token: code, timestamp: at, window: WINDOW });
  return delta === null ? null : totpStep(at) + delta;
}

/** The code of `secret` at `at` (ms): for tests and the demo's own checks. */
export const totpCode = (secret: string, at: number): string =>
  totp(secret, '', '').generate({ timestamp: at });

/**
 * The secret at rest: AES-256-GCM under TOTP_ENCRYPTION_KEY, a fresh 96-bit IV each time, and the
 * user's id as associated data, so a ciphertext copied onto another user does not decrypt.
 * Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
export function encryptTotpSecret(key: Buffer, userId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(userId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** The secret, or null when the stored form is not ours or does not authenticate. */
export function decryptTotpSecret(key: Buffer, userId: string, stored: string): string | null {
  const [version, iv, ciphertext, tag] = stored.split('.');
  if (version !== 'v1' || !iv || !ciphertext || !tag) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(userId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}

/** Recovery codes per set (README "API"). */
export const RECOVERY_CODE_COUNT = 10;
// 32 characters without the look-alikes l, o, 0 and 1: 12 of them carry 60 random bits.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A new set of recovery codes, shown once: `xxxx-xxxx-xxxx`, 60 random bits each. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(12);
    const chars = [...bytes].map((byte) => ALPHABET[byte & 31]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

const normalizedRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

/**
 * How a recovery code is stored and looked up (case, spaces and dashes do not matter): HMAC-SHA256
 * keyed by a pepper read from SSM (the TOTP encryption key; `recovery-code` in the message keeps
 * the uses apart) over the user's id and the code — a copy of the datastore alone cannot test
 * guesses, and one account's hashes say nothing of another's.
 */
export const hashRecoveryCode = (pepper: Buffer, userId: string, code: string): string =>
  createHmac('sha256', pepper)
    .update(`recovery-code\0${userId}\0${normalizedRecoveryCode(code)}`)
    .digest('base64url');

/**
 * The hashes a presented recovery code may be stored under: the peppered one, and the unsalted
 * SHA-256 of sets issued before it (they keep working until used or renewed).
 */
export const recoveryCodeHashes = (pepper: Buffer, userId: string, code: string): string[] => [
  hashRecoveryCode(pepper, userId, code),
  createHash('sha256').update(normalizedRecoveryCode(code)).digest('base64url'),
];
