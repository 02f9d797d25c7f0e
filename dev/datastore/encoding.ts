/**
 * How strings travel in `result`: `base64` when the request carried `Upstash-Encoding: base64`
 * (what @upstash/redis sends by default), plain UTF-8 JSON strings otherwise.
 */
export type ReplyEncoding = 'base64' | 'utf8';

/** A reply as JSON: RESP2 shapes only (maps are flat arrays), integers as numbers. */
export type JsonReply = string | number | null | JsonReply[];

/** Reads the `Upstash-Encoding` request header; its value is matched case-insensitively. */
export function encodingOf(header: string | string[] | undefined): ReplyEncoding {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim().toLowerCase() === 'base64' ? 'base64' : 'utf8';
}

/**
 * Turns a backend reply (ioredis buffer mode: `Buffer` for bulk and status strings, `number`
 * for integers, `null`, nested arrays) into JSON. In base64 mode every string at every depth
 * is the base64 of its raw bytes, so binary values survive; integers and null stay as they
 * are. An error nested in an array (a Lua table holding one) becomes its message.
 */
export function encodeReply(reply: unknown, encoding: ReplyEncoding): JsonReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (Buffer.isBuffer(reply))
    return encoding === 'base64' ? reply.toString('base64') : reply.toString('utf8');
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, encoding));
  if (reply instanceof Error) return encodeString(reply.message, encoding);
  return encodeString(String(reply), encoding);
}

function encodeString(text: string, encoding: ReplyEncoding): string {
  return encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text;
}
