import { RestError } from './rest-error';

/** One Redis command as sent to the backend: the name first, every argument a string. */
export type CommandArgs = readonly [string, ...string[]];

/**
 * Parses the body of `POST /`: a non-empty JSON array of strings and numbers, the command
 * name first. Booleans are accepted too because @upstash/redis sends them as values
 * (`redis.set(key, true)`); they become `"true"`/`"false"`, as JSON text would.
 * Throws a 400 `RestError` that says what was wrong.
 */
export function parseCommand(value: unknown, where = 'command'): CommandArgs {
  if (!Array.isArray(value)) {
    throw badCommand(`${where} must be a JSON array of strings and numbers, e.g. ["get","key"]`);
  }
  if (value.length === 0) throw badCommand(`${where} is empty`);
  if (typeof value[0] !== 'string' || value[0] === '') {
    throw badCommand(`${where} must start with the command name as a string`);
  }
  const args = value.map((item, index) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw badCommand(
      `${where} argument ${index} is ${item === null ? 'null' : typeof item}; only strings, numbers and booleans are allowed`,
    );
  });
  return args as unknown as CommandArgs;
}

/**
 * Parses the body of `POST /pipeline` or `POST /multi-exec`: a non-empty JSON array of
 * commands. Throws a 400 `RestError` naming the first bad command.
 */
export function parseCommandList(value: unknown): CommandArgs[] {
  if (!Array.isArray(value) || value.some((item) => !Array.isArray(item))) {
    throw badCommand('body must be a JSON array of commands, e.g. [["set","k","v"],["get","k"]]');
  }
  if (value.length === 0) throw badCommand('body holds no commands');
  return value.map((item, index) => parseCommand(item, `command ${index + 1}`));
}

const TRANSACTION = 'transactions are sent whole to /multi-exec, and WATCH cannot span stateless requests';
const PUB_SUB = 'pub/sub needs a connection that outlives the request';
const BLOCKING = 'blocking commands would stall the backend connection every request shares';
const CONNECTION_STATE = 'connection state is not kept between requests';
const STREAMING = 'it streams replies for as long as the connection lasts';

// Every REST request shares one backend connection, so anything that changes that
// connection's state, blocks it, or turns it into a stream would leak into other requests.
const REFUSED = new Map<string, string>([
  ...['watch', 'unwatch', 'multi', 'exec', 'discard'].map((name) => [name, TRANSACTION] as const),
  ...['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe'].map(
    (name) => [name, PUB_SUB] as const,
  ),
  ...[
    'blpop',
    'brpop',
    'blmove',
    'brpoplpush',
    'bzpopmin',
    'bzpopmax',
    'blmpop',
    'bzmpop',
    'wait',
    'waitaof',
  ].map((name) => [name, BLOCKING] as const),
  ...['select', 'quit', 'client', 'hello', 'reset', 'auth'].map((name) => [name, CONNECTION_STATE] as const),
  ...['monitor', 'sync', 'psync'].map((name) => [name, STREAMING] as const),
]);

/**
 * Returns the error message for a command the REST protocol cannot carry
 * (`ERR WATCH is not supported over REST: …`), or `null` when the command may run.
 */
export function refusalOf(args: CommandArgs): string | null {
  const name = args[0].toLowerCase();
  const reason = REFUSED.get(name) ?? (isBlockingStreamRead(name, args) ? BLOCKING : null);
  return reason === null ? null : `ERR ${name.toUpperCase()} is not supported over REST: ${reason}`;
}

/**
 * XREAD / XREADGROUP block only when BLOCK appears among the options before STREAMS. The
 * values of GROUP and COUNT are skipped: a group or consumer may well be named "block".
 */
function isBlockingStreamRead(name: string, args: CommandArgs): boolean {
  if (name !== 'xread' && name !== 'xreadgroup') return false;
  for (let i = 1; i < args.length; i += 1) {
    const option = args[i]?.toLowerCase();
    if (option === 'streams') return false;
    if (option === 'block') return true;
    if (option === 'group') i += 2;
    else if (option === 'count') i += 1;
  }
  return false;
}

function badCommand(detail: string): RestError {
  return new RestError(400, `ERR failed to parse command: ${detail}`);
}
