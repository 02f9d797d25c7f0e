import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random token (32 URL-safe characters), used when none is configured. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * True when the `Authorization` header is `Bearer <token>` (scheme case-insensitive).
 * Both sides are hashed before a constant-time compare, so neither the token's length
 * nor its matching prefix leaks through timing.
 */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1];
  if (presented === undefined) return false;
  return timingSafeEqual(sha256(presented), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
