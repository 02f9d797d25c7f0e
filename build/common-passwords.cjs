// The common-password list as it ships beside the bundles that check passwords: only the entries
// that can pass the length rule (at least the lowest allowed PASSWORD_MIN_LENGTH), lowercased,
// without duplicates, sorted by their UTF-8 bytes, each between newlines (`\na\nb\n`). Sorted, a
// lookup is a binary search over a few small reads of the file (lib/common-passwords-file.ts),
// not a read of its ≈2 MB: the cold request that sets a password saves ≈10 ms and a 2 MB
// allocation. esbuild.config.mjs writes it; tests/unit/common-passwords-file.test.ts searches it.
const { gunzipSync } = require('node:zlib');

/** The file's name beside each bundle that imports lib/common-passwords.ts. */
const COMMON_PASSWORDS_FILE = 'common-passwords.txt';

/**
 * The shipped list from the npm source's gzipped text (`compressed`): the entries of `minLength`
 * code points or more, lowercased, deduplicated and sorted byte-wise, each between newlines.
 */
function sortedCommonPasswords(compressed, minLength) {
  const entries = new Set(
    gunzipSync(compressed)
      .toString('utf8')
      .split('\n')
      .map((line) => line.replace(/\r$/, '').toLowerCase())
      .filter((line) => [...line].length >= minLength),
  );
  const sorted = [...entries].map((entry) => Buffer.from(entry, 'utf8')).sort(Buffer.compare);
  const newline = Buffer.from('\n');
  return Buffer.concat([newline, ...sorted.flatMap((entry) => [entry, newline])]);
}

module.exports = { COMMON_PASSWORDS_FILE, sortedCommonPasswords };
