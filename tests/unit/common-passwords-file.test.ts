// The common-password list as the bundles ship and search it (build/common-passwords.cjs writes
// it sorted; lib/common-passwords-file.ts searches it in place): the shipped list is the npm
// source's entries that can pass the length floor, and the binary search answers exactly as a
// lookup in the whole list does — for every shipped entry, for near misses around each, and on
// generated lists with long entries — while reading ≈2 KiB per lookup, never the whole file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMON_PASSWORDS_SOURCE, readCommonPasswords } from '../../lib/common-passwords';
import { openSortedList, type ReadAt, sortedListIncludes } from '../../lib/common-passwords-file';
import { PASSWORD_MIN_LENGTH_FLOOR } from '../../lib/config';
import { seededRandom } from '../support/seeded-random';

const { sortedCommonPasswords } = require('../../build/common-passwords.cjs') as {
  sortedCommonPasswords(compressed: Buffer, minLength: number): Buffer;
};

const shipped = sortedCommonPasswords(
  readFileSync(require.resolve(COMMON_PASSWORDS_SOURCE)),
  PASSWORD_MIN_LENGTH_FLOOR,
);
const shippedEntries = shipped.subarray(1, -1).toString('utf8').split('\n');

/** A reader over a list in memory that counts what a lookup reads. */
function counted(list: Buffer) {
  const read = { bytes: 0, calls: 0 };
  const readAt: ReadAt = (position, length) => {
    read.bytes += length;
    read.calls += 1;
    return list.subarray(position, position + length);
  };
  return { read, includes: (entry: string) => sortedListIncludes(list.length, readAt, Buffer.from(entry)) };
}

describe('the shipped list (build/common-passwords.cjs)', () => {
  test('is every entry of the source that can pass the length floor, lowercased, once, sorted by bytes', () => {
    const source = new Set(
      readCommonPasswords()
        .toString('utf8')
        .split('\n')
        .filter((entry) => [...entry].length >= PASSWORD_MIN_LENGTH_FLOOR),
    );
    expect(shipped[0]).toBe(0x0a);
    expect(shipped.at(-1)).toBe(0x0a);
    expect(new Set(shippedEntries)).toEqual(source);
    expect(shippedEntries).toHaveLength(source.size);
    const bytes = shippedEntries.map((entry) => Buffer.from(entry));
    const unordered = bytes.findIndex(
      (entry, i) => i > 0 && Buffer.compare(bytes[i - 1] as Buffer, entry) >= 0,
    );
    expect(unordered).toBe(-1);
  });
});

describe('sortedListIncludes on the shipped list', () => {
  const { read, includes } = counted(shipped);
  const listed = new Set(shippedEntries);

  test('finds every entry, the first and the last included, reading ≈2 KiB for each (never the list)', () => {
    const bytesRead: number[] = [];
    for (const entry of shippedEntries) {
      read.bytes = 0;
      if (!includes(entry)) throw new Error(`not found: ${JSON.stringify(entry)}`);
      bytesRead.push(read.bytes);
    }
    bytesRead.sort((a, b) => a - b);
    // A few entries of the source are kilobytes long: a probe that lands in one reads all of it.
    expect(bytesRead[Math.floor(bytesRead.length / 2)]).toBeLessThan(2560);
    expect(bytesRead.at(-1)).toBeLessThan(32 * 1024);
  });

  test('answers as the whole list does for near misses: prefixes, extensions, neighbours, ends', () => {
    const probes = ['', 'a', '\u0000', '\u{10ffff}', '~'.repeat(40), 'correct horse battery staple'];
    for (const [i, entry] of shippedEntries.entries()) {
      if (i % 7 !== 0) continue;
      probes.push(
        entry.slice(0, -1),
        `${entry}a`,
        `${entry}\u0000`,
        ` ${entry}`,
        `${entry.slice(0, -1)}\u{1f511}`,
      );
    }
    const wrong = probes.filter((probe) => includes(probe) !== listed.has(probe));
    expect(wrong).toEqual([]);
    expect(probes.filter((probe) => listed.has(probe)).length).toBeGreaterThan(1000);
  });
});

describe('sortedListIncludes on generated lists', () => {
  test.each([1, 2, 3, 4, 5, 6])('seed %d: long entries, short ones, a single one, none', (seed) => {
    const { int, pick } = seededRandom(seed);
    const alphabet = ['a', 'b', 'z', '0', ' ', 'é', '€', '😀', '\u0000', '\t'];
    const word = () => {
      // Some entries are longer than a read (256 bytes), a few far longer than the range searched.
      const length = pick([1, 2, 5, 12, 40, 300, 2000]) + int(4);
      return Array.from({ length }, () => pick(alphabet)).join('');
    };
    const entries = [...new Set(Array.from({ length: pick([0, 1, 2, 50, 800]) }, word))];
    const sorted = entries.map((entry) => Buffer.from(entry)).sort(Buffer.compare);
    const list = Buffer.concat([Buffer.from('\n'), ...sorted.flatMap((entry) => [entry, Buffer.from('\n')])]);
    const { includes } = counted(list);
    const probes = [...entries, ...entries.map((entry) => `${entry}a`), ...Array.from({ length: 200 }, word)];
    const wrong = probes.filter((probe) => includes(probe) !== entries.includes(probe));
    expect(wrong).toEqual([]);
  });
});

describe('openSortedList (the bundles’ lookup, on the file)', () => {
  test('opens the file at the first lookup, and answers as the list in memory does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'common-passwords-'));
    try {
      const path = join(dir, 'common-passwords.txt');
      const lookup = openSortedList(path);
      writeFileSync(path, shipped);
      const sample = shippedEntries.filter((_, i) => i % 97 === 0);
      expect(sample.every((entry) => lookup(entry))).toBe(true);
      expect(sample.filter((entry) => lookup(`${entry}#`))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing file fails the lookup that needs it, not the import', () => {
    const lookup = openSortedList(join(tmpdir(), 'no-such-dir', 'common-passwords.txt'));
    expect(() => lookup('password1234')).toThrow(/ENOENT/);
  });
});
