/**
 * A failure the REST layer reports to its client as `{"error": message}` with `statusCode`.
 * Redis errors keep their own text (e.g. `ERR value is not an integer or out of range`)
 * because @upstash/redis and its callers match on it (`NOSCRIPT`, `EXECABORT`).
 */
export class RestError extends Error {
  override readonly name = 'RestError';

  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}
