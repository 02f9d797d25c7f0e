import { createHash } from 'node:crypto';
import type { CommandArgs } from './commands';

/** A command ready for the backend, and how to turn its reply back into what the client expects. */
export interface PreparedCommand {
  args: CommandArgs;
  mapReply: (reply: unknown) => unknown;
  /** Redis's error text, when the command must fail without reaching the backend. */
  refusal?: string;
}

/** Redis 7.0's answer to `EVAL_RO`/`EVALSHA_RO` of a script whose shebang lacks `no-writes`. */
export const WRITE_FLAG_REFUSAL = 'ERR Can not execute a script with write flag using *_ro command.';

const keepReply = (reply: unknown): unknown => reply;

/**
 * The guard a script flagged `allow-key-locking` runs under here, as on Upstash, where such a
 * script locks only the keys in KEYS and may touch no other: every `redis.call`/`redis.pcall`
 * asks Redis which keys the command touches (`COMMAND GETKEYS`) and fails on any not in KEYS.
 * One line, so the script's own line numbers stay as they were.
 */
const KEY_GUARD = [
  'local __declared = {} for _, k in ipairs(KEYS) do __declared[k] = true end',
  'local function __undeclared(...) local ok, keys = pcall(redis.call, "COMMAND", "GETKEYS", ...)',
  'if not ok then return nil end for _, k in ipairs(keys) do if not __declared[k] then return k end end return nil end',
  'local function __call(...) local k = __undeclared(...) if k then error("undeclared key " .. k .. " (a script flagged allow-key-locking may touch only the keys in KEYS)") end return redis.call(...) end',
  'local function __pcall(...) local k = __undeclared(...) if k then return redis.error_reply("ERR user_script: undeclared key " .. k) end return redis.pcall(...) end',
].join(' ');

/**
 * Lets scripts written for Upstash run on Redis 7.0 and the embedded engine, under Upstash's rules.
 *
 * Upstash accepts a first line such as `#!lua flags=allow-key-locking`; Redis 7.0 rejects
 * flags it does not know and the embedded engine rejects any shebang. So the shebang line
 * is replaced before the script reaches the backend — by nothing, or, for a script flagged
 * `allow-key-locking`, by `KEY_GUARD` with every `redis.call`/`redis.pcall` routed through it
 * (unless `checkDeclaredKeys` is off) — on the same line, keeping Lua's line numbers in error
 * messages. The SHA-1 of the original text is remembered as an alias of the rewritten script's:
 * `EVALSHA <original sha>` runs the rewritten script and `SCRIPT LOAD <original>` answers with
 * the original's SHA, as Upstash would.
 *
 * A script flagged `no-writes` is read-only wherever it runs, as on Redis 7 and Upstash: EVAL and
 * EVALSHA of it reach the backend as EVAL_RO and EVALSHA_RO, under which both back ends (the
 * embedded engine and Redis) refuse any write with Redis's own error (`ERR Write commands are
 * not allowed from read-only scripts`). EVAL_RO / EVALSHA_RO of a flagged script without
 * `no-writes` is refused as Redis 7.0 refuses it.
 */
export class ScriptAliases {
  constructor(private readonly checkDeclaredKeys = true) {}

  /** SHA-1 of an original script → SHA-1 of the stripped script the backend knows. */
  readonly #backendShas = new Map<string, string>();
  /** SHA-1s (original) of the flagged scripts: whether each may write. */
  readonly #writes = new Map<string, boolean>();

  /** Rewrites EVAL, EVALSHA (and their `_RO` forms), SCRIPT LOAD and SCRIPT EXISTS; passes anything else through. */
  prepare(args: CommandArgs): PreparedCommand {
    const name = args[0].toLowerCase();
    if ((name === 'eval' || name === 'eval_ro') && args[1] !== undefined) {
      const original = args[1];
      return this.#run(name, sha1(original), replaceAt(args, 1, this.#strip(original)));
    }
    if ((name === 'evalsha' || name === 'evalsha_ro') && args[1] !== undefined) {
      const original = args[1].toLowerCase();
      return this.#run(name, original, replaceAt(args, 1, this.#backendSha(args[1])));
    }
    const subcommand = args[1]?.toLowerCase();
    if (name === 'script' && subcommand === 'load' && args[2] !== undefined) {
      const original = args[2];
      const stripped = this.#strip(original);
      if (stripped === original) return { args, mapReply: keepReply };
      const originalSha = sha1(original);
      return {
        args: replaceAt(args, 2, stripped),
        mapReply: (reply) => (Buffer.isBuffer(reply) ? Buffer.from(originalSha) : reply),
      };
    }
    if (name === 'script' && subcommand === 'exists') {
      const [command, sub, ...shas] = args;
      return {
        args: [command, sub as string, ...shas.map((sha) => this.#backendSha(sha))],
        mapReply: keepReply,
      };
    }
    return { args, mapReply: keepReply };
  }

  /** EVAL(SHA)[_RO] of the script whose original SHA-1 is `sha`: read-only where its flags say so. */
  #run(name: string, sha: string, args: CommandArgs): PreparedCommand {
    const writes = this.#writes.get(sha);
    const readOnlyCommand = name.endsWith('_ro');
    if (readOnlyCommand && writes === true) return { args, mapReply: keepReply, refusal: WRITE_FLAG_REFUSAL };
    if (!readOnlyCommand && writes === false) {
      const command = name === 'eval' ? 'EVAL_RO' : 'EVALSHA_RO';
      return { args: replaceAt(args, 0, command), mapReply: keepReply };
    }
    return { args, mapReply: keepReply };
  }

  #strip(script: string): string {
    if (!/^#!lua(?:[ \t]|\r?\n|$)/.test(script)) return script;
    const newline = script.indexOf('\n');
    const shebang = newline === -1 ? script : script.slice(0, newline);
    this.#writes.set(sha1(script), !/\bflags=[\w,-]*\bno-writes\b/.test(shebang));
    const body = newline === -1 ? '' : script.slice(newline);
    const guarded = this.checkDeclaredKeys && /\bflags=[\w,-]*\ballow-key-locking\b/.test(shebang);
    const stripped = guarded
      ? KEY_GUARD + body.replace(/\bredis\.call\(/g, '__call(').replace(/\bredis\.pcall\(/g, '__pcall(')
      : body;
    this.#backendShas.set(sha1(script), sha1(stripped));
    return stripped;
  }

  #backendSha(sha: string): string {
    return this.#backendShas.get(sha.toLowerCase()) ?? sha;
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

function replaceAt(args: CommandArgs, index: number, value: string): CommandArgs {
  const copy = [...args];
  copy[index] = value;
  return copy as unknown as CommandArgs;
}
