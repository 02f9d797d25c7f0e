import { writeSync } from 'node:fs';

/**
 * Writes one line to the process's stdout (1) or stderr (2) with synchronous writes to the
 * descriptor, as Node itself writes to pipes and files on Linux, without making `process.stdout`
 * or `process.stderr`: the first access to either, on a pipe (as in Lambda), loads `node:net` and
 * two stream wrappers (5.6–6.5 ms profiled, `createWritableStdioStream`, in the bench's probe),
 * which a function whose first request logs or counts a metric would pay. If the descriptor
 * refuses (EAGAIN, when something made it non-blocking), the rest goes through the stream.
 */
export function writeLine(fd: 1 | 2, line: string): void {
  const bytes = Buffer.from(`${line}\n`, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch {
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(written));
  }
}
