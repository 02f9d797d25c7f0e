import { createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { emailSelector } from '../keys';

// The secrets of one sign-in mail (docs/security.md, passwordless email): a link token and a 6-digit code,
// issued together, stored only as hashes, and spent together.

/** Wrong codes one mail's code survives: the 6th try finds it dead, right or not (docs/security.md). */
export const MAX_CODE_ATTEMPTS = 5;

/** Digits of a sign-in code: 10^6 codes, so each guess has a one-in-a-million chance. */
export const CODE_DIGITS = 6;

/**
 * A sign-in link's token, in the shape of every mailed link (lib/tokens.ts: `selector.verifier`,
 * 256 random bits, stored as SHA-256): its selector is the address's (`keys.emailSelector`), not a
 * user id, because the address may have no account yet and the code path finds the same record
 * by the address alone.
 */
export const newSignInToken = (canonicalEmail: string): string =>
  `${emailSelector(canonicalEmail)}.${randomBytes(32).toString('base64url')}`;

const SIGN_IN_TOKEN = /^([A-Za-z0-9_-]{43})\.[A-Za-z0-9_-]{43}$/;

/** The selector a sign-in token names, or null when it is not one of ours. */
export const signInTokenSelector = (token: string): string | null => SIGN_IN_TOKEN.exec(token)?.[1] ?? null;

/** A uniformly random 6-digit code (leading zeros kept). */
export const newSignInCode = (): string => String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');

/** A code as typed: spaces and dashes (`123 456`, `123-456`) are not part of it. */
export const normaliseCode = (code: string): string => code.replace(/[\s-]/g, '');

/**
 * The key that hashes sign-in codes, derived (HKDF-SHA-256, its own label) from a secret the
 * functions already read from SSM (TOTP_ENCRYPTION_KEY). A code has only 20 bits: a plain hash
 * in a stolen database would be reversed in a second; keyed, it cannot be without the secret.
 */
export const codeHashKey = (secret: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'account-service/email-sign-in-code', 32));

/** The stored form of a code: HMAC-SHA-256 under `codeHashKey`, bound to its address. */
export const hashSignInCode = (key: Buffer, canonicalEmail: string, code: string): string =>
  createHmac('sha256', key)
    .update(`${canonicalEmail}\n${normaliseCode(code)}`)
    .digest('base64url');

/** A pair's public id: names the record between the two steps of a confirmation. Not a secret. */
export const newPairId = (): string => randomBytes(16).toString('base64url');

/** Control, format and separator characters (as lib/validation.ts refuses them in names). */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * The name of an account made by a sign-in mail (docs/decisions.md: the email's local part), cut to the
 * name rules: no control or format characters, quotes dropped, 1–100 code points.
 */
export function nameFromEmail(canonicalEmail: string): string {
  const local = canonicalEmail.slice(0, canonicalEmail.lastIndexOf('@'));
  const cleaned = local.replace(INVISIBLE_OR_CONTROL, '').replace(/"/g, '').trim();
  const name = [...cleaned].slice(0, 100).join('').trim();
  return name === '' ? 'User' : name;
}
