import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The common-password list as a Lambda bundle reads it: a file beside the bundle holding the
 * entries sorted by their UTF-8 bytes, each between newlines (build/common-passwords.cjs writes
 * it). A lookup is a binary search that reads 128 bytes at a time — about 15 reads and 2 KiB of
 * a ≈2 MB file — instead of reading the whole file into memory on the first request that sets a
 * password. esbuild.config.mjs puts this module in place of lib/common-passwords.ts's reader.
 */

/** Reads up to `length` bytes at `position` (fewer at the end of the list). */
export type ReadAt = (position: number, length: number) => Buffer;

/** Bytes read at a time: most entries are short, and a probe reads one line. */
const READ_BYTES = 128;
/** A range this short is read whole and searched in memory. */
const LAST_RANGE_BYTES = 512;
const NEWLINE = 0x0a;

/**
 * The first line that starts within [`from`, `end`): its bytes, and the positions of the newlines
 * before and after it (the list's last newline is at `end` or later); null when none starts there.
 */
function lineFrom(
  readAt: ReadAt,
  from: number,
  end: number,
): { bytes: Buffer; start: number; end: number } | null {
  let start = -1;
  const parts: Buffer[] = [];
  for (let at = from; ; at += READ_BYTES) {
    const chunk = readAt(at, READ_BYTES);
    if (chunk.length === 0) return null;
    let rest = chunk;
    if (start < 0) {
      const found = chunk.indexOf(NEWLINE);
      if (found < 0) continue;
      start = at + found;
      if (start >= end) return null;
      rest = chunk.subarray(found + 1);
    }
    const found = rest.indexOf(NEWLINE);
    if (found >= 0) {
      parts.push(rest.subarray(0, found));
      const bytes = Buffer.concat(parts);
      return { bytes, start, end: start + 1 + bytes.length };
    }
    parts.push(rest);
  }
}

/**
 * True when `entry` (no newline in it) is a whole line of a sorted list of `size` bytes:
 * `\n`, then each entry followed by `\n`, entries in `Buffer.compare` order.
 */
export function sortedListIncludes(size: number, readAt: ReadAt, entry: Buffer): boolean {
  // Invariant: if the entry is listed, it lies between the newlines at `low` and `high`.
  let low = 0;
  let high = size - 1;
  while (high - low > LAST_RANGE_BYTES) {
    const line = lineFrom(readAt, low + Math.floor((high - low) / 2), high);
    if (!line) break;
    const order = Buffer.compare(line.bytes, entry);
    if (order === 0) return true;
    if (order < 0) low = line.end;
    else high = line.start;
  }
  const whole = Buffer.concat([Buffer.from('\n'), entry, Buffer.from('\n')]);
  return readAt(low, high - low + 1).includes(whole);
}

/** A lookup in the sorted list file at `path`, opened on its first call and kept open. */
export function openSortedList(path: string): (entry: string) => boolean {
  let file: { size: number; readAt: ReadAt } | undefined;
  const open = () => {
    const fd = openSync(path, 'r');
    try {
      const { size } = fstatSync(fd);
      const readAt: ReadAt = (position, length) => {
        const buffer = Buffer.allocUnsafe(length);
        return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
      };
      return { size, readAt };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  };
  return (entry) => {
    file ??= open();
    return sortedListIncludes(file.size, file.readAt, Buffer.from(entry, 'utf8'));
  };
}
