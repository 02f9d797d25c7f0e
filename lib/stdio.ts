import { writeSync } from 'node:fs';

/**
 * Writes one line to the process's stdout (1) or stderr (2) with synchronous writes to the
 * descriptor, as Node itself writes to pipes and files on Linux, without making `process.stdout`
 * or `process.stderr`: the first access to either, on a pipe (as in Lambda), loads `node:net` and
 * two stream wrappers, ≈6 ms of the first response of a function whose first request logs or counts
 * a metric (bench, CPU profile of `confirm-email-sign-in`). If the descriptor refuses (EAGAIN, when
 * something made it non-blocking), what is left goes through the stream, which queues it.
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
