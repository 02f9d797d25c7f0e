import type { IncomingMessage } from 'node:http';
import { RestError } from './rest-error';

/**
 * Reads the whole request body, refusing (413) as soon as it would exceed `maxBytes`:
 * an oversized Content-Length is refused before reading anything, and a body without one
 * stops being read and kept at the first chunk past the limit.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        req.pause();
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Parses a body as JSON; malformed JSON is a 400 `RestError`. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new RestError(400, 'ERR failed to parse command: body is not valid JSON');
  }
}

function tooLarge(maxBytes: number): RestError {
  return new RestError(413, `ERR request body exceeds the limit of ${maxBytes} bytes`);
}
