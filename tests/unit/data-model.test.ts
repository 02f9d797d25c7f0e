// The data model is described once (lib/data-model/, keyed by lib/keys.ts's kinds); everything
// else that states it is checked against it here: the key builders, the README's tables,
// dev/verify-data.ts's header, and what the Lua scripts actually write.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DATA_MODEL,
  type Fields,
  INVARIANTS,
  type InvariantId,
  invariantsOf,
  type KindModel,
  renderInvariantTable,
  renderKeyTable,
  ttlInvariantOf,
} from '../../lib/data-model';
import { createKeys, KEY_KINDS, type KeyKind, type Keys } from '../../lib/keys';
import * as lua from '../../lib/lua-helpers';

const root = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const kinds = Object.keys(DATA_MODEL) as KeyKind[];
const model = (kind: KeyKind): KindModel => DATA_MODEL[kind];

describe('the key map', () => {
  test('names the kinds of the data model, in its order', () => {
    expect([...KEY_KINDS]).toEqual(kinds);
  });

  test('builds each kind under the prefix, one builder per kind', () => {
    const keys = createKeys('acct:');
    const built = Object.entries(keys)
      .filter(([, value]) => typeof value === 'function')
      .map(([, build]) => (build as (id: string) => string)('ID'));
    expect(built).toEqual(kinds.map((kind) => `acct:${kind}:ID`));
    expect(keys.loginFailures('a@example.com')).toBe('acct:login-failures:a@example.com');
  });

  test('stays light: no bundle imports the data model (only dev/, tests and lib/data-model/ itself)', () => {
    const importers: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(root, dir))) {
        const path = `${dir}/${entry}`;
        if (statSync(join(root, path)).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && /from '[./]*(lib\/)?data-model'/.test(read(path)))
          importers.push(path);
      }
    };
    walk('lib');
    walk('functions');
    expect(importers).toEqual([]);
  });
});

describe('the data model', () => {
  test.each(kinds)('%s: its owner exists', (kind) => {
    expect(existsSync(join(root, model(kind).owner))).toBe(true);
  });

  test.each(kinds)('%s: a TTL rule comes with the invariant that states it', (kind) => {
    if (model(kind).ttl === 'none') expect(ttlInvariantOf(kind)).toBeNull();
    else expect(ttlInvariantOf(kind)).toMatch(/^[IEO]\d$/);
  });

  test('every key an invariant names is a kind', () => {
    const named = Object.values(INVARIANTS).flatMap((text) =>
      [...text.matchAll(/(?<![\w-])([a-z][\w-]*):</g)].map((match) => match[1]),
    );
    expect(named.filter((kind) => !kinds.includes(kind as KeyKind))).toEqual([]);
    // Every invariant is about some key.
    for (const id of Object.keys(INVARIANTS) as InvariantId[])
      expect([id, kinds.some((kind) => invariantsOf(kind).includes(id))]).toEqual([id, true]);
  });
});

/** The lines of the table in `text` that starts with `header`. */
function tableAt(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('the README', () => {
  const readme = read('README.md');

  test('its table of keys is the data model rendered', () => {
    const rendered = renderKeyTable().split('\n');
    expect(tableAt(readme, rendered[0] ?? '')).toEqual(rendered);
  });

  test('its table of invariants is the invariants rendered', () => {
    const rendered = renderInvariantTable().split('\n');
    expect(tableAt(readme, rendered[0] ?? '')).toEqual(rendered);
  });

  test('renders a field that may be absent with ?, and names in <…> in code spans', () => {
    const row = renderKeyTable()
      .split('\n')
      .find((line) => line.startsWith('| `mfa-logins:'));
    expect(row).toContain(
      '`<loginId>` → JSON {hash (of the mfaToken), expiresAt, attempts, client, email, userAgent?',
    );
  });
});

test("dev/verify-data.ts's header lists the invariants, each once", () => {
  const header = read('dev/verify-data.ts').split('\n */')[0] ?? '';
  const listed: Record<string, string> = {};
  let current = '';
  for (const line of header.split('\n')) {
    const start = /^ \* {3}([IEO]\d) {2}(.*)$/.exec(line);
    if (start?.[1]) {
      current = start[1];
      listed[current] = start[2] ?? '';
    } else if (current && /^ \* {7}\S/.test(line)) listed[current] += ` ${line.slice(8).trim()}`;
    else current = '';
  }
  expect(listed).toEqual(INVARIANTS);
});

// --- What the scripts write -------------------------------------------------------------------

/** Every script of the service: lib/lua.ts, lib/*scripts*.ts, lib/<feature>/*scripts*.ts. */
function scriptFiles(): string[] {
  const files = ['lib/lua.ts'];
  for (const entry of readdirSync(join(root, 'lib'))) {
    const path = `lib/${entry}`;
    if (statSync(join(root, path)).isDirectory()) {
      for (const file of readdirSync(join(root, path)))
        if (file.includes('scripts') && file.endsWith('.ts')) files.push(`${path}/${file}`);
    } else if (entry.includes('scripts') && entry.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** What every script has (lib/lua.ts's Script): its Lua, and the function that names its keys. */
interface ScriptShape {
  lua: string;
  encode(keys: Keys, args: unknown): { keys: string[] };
}

interface LoadedScript {
  file: string;
  name: string;
  lua: string;
  /** KEYS in order, as kinds. */
  keyKinds: (KeyKind | null)[];
  /** Lua locals bound to KEYS positions on the script's first lines. */
  bound: string[];
}

const PREFIX = 'p:';
const byLength = [...kinds].sort((a, b) => b.length - a.length);
const kindOfKey = (key: string): KeyKind | null =>
  byLength.find((kind) => key.startsWith(`${PREFIX}${kind}:`)) ?? null;

function loadScripts(): LoadedScript[] {
  const keys = createKeys(PREFIX);
  // Any argument a keysOf reads is a string: enough to name every key the script declares.
  const args = new Proxy({}, { get: () => 'x' });
  const seen = new Set<string>();
  const loaded: LoadedScript[] = [];
  for (const file of scriptFiles()) {
    const module = require(join(root, file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      const script = value as Partial<ScriptShape> | null;
      if (!script || typeof script.lua !== 'string' || typeof script.encode !== 'function') continue;
      if (seen.has(script.lua)) continue; // lib/scripts.ts re-exports the feature folders' scripts
      seen.add(script.lua);
      const bound = [...script.lua.matchAll(/^local ([\w, ]+) = KEYS\[1\](?:, KEYS\[\d+\])*$/gm)].flatMap(
        (m) => (m[1] ?? '').split(/,\s*/),
      );
      loaded.push({
        file,
        name,
        lua: script.lua,
        keyKinds: script.encode(keys, args).keys.map(kindOfKey),
        bound,
      });
    }
  }
  return loaded;
}

/** The arguments of a call whose opening parenthesis is at `open`, split at its top-level commas. */
function argumentsAt(text: string, open: number, close = ')'): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let start = open + 1;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if ((c === ')' || c === '}' || c === ']') && depth > 0) depth--;
    else if (c === close && depth === 0) {
      args.push(text.slice(start, i).trim());
      return args.filter((arg) => arg !== '');
    } else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced call at ${text.slice(open, open + 60)}`);
}

/** The member names of a Lua table constructor (`{ id = …, at = … }`), or null if `expr` is not one. */
function tableFields(expr: string): string[] | null {
  if (!expr.startsWith('{')) return null;
  return argumentsAt(expr, 0, '}').map((member) => /^(\w+)\s*=/.exec(member)?.[1] ?? `?${member}`);
}

const literal = (expr: string | undefined): string | null => /^'([^']*)'$/.exec(expr ?? '')?.[1] ?? null;
const encodedTable = (expr: string | undefined): string[] | null => {
  const inner = /^cjson\.encode\(([\s\S]*)\)$/.exec(expr ?? '')?.[1];
  return inner === undefined ? null : tableFields(inner.trim());
};

/** One write the scripts make: to a kind, a literal field name or a record's members. */
interface Write {
  script: string;
  kind: KeyKind;
  command: string;
  field?: string;
  value?: string;
  record?: string[];
}

function writesOf(script: LoadedScript): Write[] {
  const { lua } = script;
  const kindOfExpr = (expr: string | undefined): KeyKind | null => {
    const position = /^KEYS\[(\d+)\]$/.exec(expr ?? '')?.[1];
    if (position) return script.keyKinds[Number(position) - 1] ?? null;
    const index = script.bound.indexOf(expr ?? '');
    return index < 0 ? null : (script.keyKinds[index] ?? null);
  };
  const writes: Write[] = [];
  const where = `${script.file} ${script.name}`;
  for (const call of lua.matchAll(/redis\.call\('(HSET|HINCRBY|SET)', /g)) {
    const [, ...args] = argumentsAt(lua, (call.index ?? 0) + 'redis.call'.length);
    const kind = kindOfExpr(args[0]);
    if (!kind) continue;
    const command = call[1] ?? '';
    if (command === 'SET') {
      writes.push({
        script: where,
        kind,
        command,
        value: args[1],
        record: encodedTable(args[1]) ?? undefined,
      });
      continue;
    }
    const step = command === 'HSET' ? 2 : 3;
    for (let i = 1; i < args.length; i += step) {
      const field = literal(args[i]);
      const record = command === 'HSET' ? encodedTable(args[i + 1]) : null;
      writes.push({
        script: where,
        kind,
        command,
        ...(field !== null ? { field } : {}),
        ...(record ? { record } : {}),
      });
    }
  }
  // Helpers that store a record handed to them (put_session, put_link): their callers' tables.
  for (const helper of lua.matchAll(/^local function (\w+)\(([\w, ]+)\)$/gm)) {
    const params = (helper[2] ?? '').split(/,\s*/);
    const bodyStart = (helper.index ?? 0) + helper[0].length;
    const body = lua.slice(bodyStart, lua.indexOf('\nend\n', bodyStart));
    const store = /redis\.call\('HSET', (\w+), ([\w.]+), cjson\.encode\((\w+)\)\)/.exec(body);
    if (!store) continue;
    const [keyAt, fieldAt, recordAt] = [store[1], store[2], store[3]].map((name) =>
      params.indexOf(name ?? ''),
    );
    if (keyAt === undefined || recordAt === undefined || keyAt < 0 || recordAt < 0) continue;
    for (const call of lua.matchAll(new RegExp(`(?<![\\w.])${helper[1]}\\(`, 'g'))) {
      if (call.index === helper.index + 'local function '.length) continue;
      const args = argumentsAt(lua, (call.index ?? 0) + (helper[1] ?? '').length);
      const kind = kindOfExpr(args[keyAt]);
      const record = tableFields(args[recordAt] ?? '');
      const field = fieldAt !== undefined && fieldAt >= 0 ? literal(args[fieldAt]) : null;
      if (kind && record)
        writes.push({ script: where, kind, command: 'HSET', record, ...(field ? { field } : {}) });
    }
  }
  return writes;
}

/** A field name of the model as a pattern: `c:<client>count` matches `c:` … `count`. */
const namePattern = (name: string) =>
  new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^>]+>/g, '.+')}$`);
const listed = (fields: Fields | undefined, name: string) =>
  Object.keys(fields ?? {}).some((field) => namePattern(field).test(name));

describe('the Lua scripts', () => {
  const scripts = loadScripts();
  const writes = scripts.flatMap(writesOf);

  // lib/lua.ts: a script carries the shared helpers it lists (and those they use), nothing else.
  const helperNames = Object.values(lua)
    .filter((value): value is lua.LuaHelper => typeof value === 'object' && value !== null && 'lua' in value)
    .map((helper) => /^local function (\w+)\(/m.exec(helper.lua)?.[1] ?? '?');

  test('share helpers that each define one named function', () => {
    expect(helperNames.length).toBeGreaterThan(15);
    expect(helperNames).not.toContain('?');
  });

  test.each(scripts.map((script) => [`${script.file} ${script.name}`, script] as const))(
    '%s defines each shared helper it calls, before its first call, and none it never calls',
    (_, script) => {
      const wrong: string[] = [];
      for (const name of helperNames) {
        const definition = script.lua.search(new RegExp(`^local function ${name}\\(`, 'm'));
        const calls = [...script.lua.matchAll(new RegExp(`(?<![\\w.])${name}\\(`, 'g'))]
          .map((call) => call.index ?? 0)
          .filter((at) => at !== definition + 'local function '.length);
        if (calls.length === 0 && definition >= 0) wrong.push(`${name}: defined, never called`);
        if (calls.length > 0 && definition < 0) wrong.push(`${name}: called, not defined`);
        if (calls.length > 0 && definition >= 0 && Math.min(...calls) < definition)
          wrong.push(`${name}: called before its definition`);
      }
      expect(wrong).toEqual([]);
    },
  );

  test('are all found, each with its keys bound to names', () => {
    expect(scripts.length).toBeGreaterThan(40);
    for (const script of scripts) expect([script.name, script.bound.length > 0]).toEqual([script.name, true]);
  });

  test('declare only keys of the data model', () => {
    const unknown = scripts.filter((script) => script.keyKinds.includes(null)).map((script) => script.name);
    expect(unknown).toEqual([]);
  });

  test('bind each local name to one kind of key', () => {
    const kindOfName = new Map<string, Set<KeyKind | null>>();
    for (const script of scripts)
      script.bound.forEach((name, i) => {
        kindOfName.set(name, (kindOfName.get(name) ?? new Set()).add(script.keyKinds[i] ?? null));
      });
    const ambiguous = [...kindOfName].filter(([, set]) => set.size !== 1).map(([name]) => name);
    expect(ambiguous).toEqual([]);
  });

  test.each(kinds.filter((kind) => existsSync(join(root, model(kind).owner))))(
    "%s: its owner's scripts declare it, when the owner has scripts",
    (kind) => {
      const owned = scripts.filter((script) => script.file.startsWith(model(kind).owner));
      if (owned.length > 0) expect(owned.some((script) => script.keyKinds.includes(kind))).toBe(true);
    },
  );

  test('write to every hash of fixed fields only the fields the model lists (user:, email:, mfa:, …)', () => {
    const unlisted = writes
      .filter((w) => w.field !== undefined && model(w.kind).fields)
      .filter((w) => !listed(model(w.kind).fields, w.field ?? ''))
      .map((w) => `${w.script}: ${w.command} ${w.kind} ${w.field}`);
    expect(unlisted).toEqual([]);
    // The writes were found at all: user: and email: are written by several scripts.
    expect(new Set(writes.filter((w) => w.kind === 'user' && w.field).map((w) => w.field))).toContain(
      'pendingEmail',
    );
    expect(new Set(writes.filter((w) => w.kind === 'email' && w.field).map((w) => w.field))).toContain(
      'userId',
    );
  });

  test.each(['user', 'email', 'mfa', 'email-sign-in'] as const)(
    'write every field the model lists for %s',
    (kind) => {
      const written = new Set(writes.filter((w) => w.kind === kind).map((w) => w.field));
      expect(Object.keys(model(kind).fields ?? {}).filter((field) => !written.has(field))).toEqual([]);
    },
  );

  test('name the entries of a hash of fixed names only by those names (links:, webauthn:)', () => {
    const unlisted = writes
      .filter((w) => w.field !== undefined && model(w.kind).entries?.names)
      .filter((w) => !model(w.kind).entries?.names?.includes(w.field ?? ''))
      .map((w) => `${w.script}: ${w.kind} ${w.field}`);
    expect(unlisted).toEqual([]);
  });

  test('store records with only the members the model lists', () => {
    const unlisted = writes
      .filter((w) => w.record)
      .flatMap((w) => {
        const fields = model(w.kind).entries?.record ?? model(w.kind).record;
        return (w.record ?? [])
          .filter((member) => !listed(fields, member))
          .map((m) => `${w.script}: ${w.kind}.${m}`);
      });
    expect(unlisted).toEqual([]);
    const recorded = new Set(writes.filter((w) => w.record).map((w) => w.kind));
    expect([...recorded].sort()).toEqual(
      expect.arrayContaining(['identities', 'links', 'mfa-logins', 'oauth-code', 'sessions', 'webauthn']),
    );
  });

  test('store mfa-logins records with the userAgent, which the model lists', () => {
    const members = writes.filter((w) => w.kind === 'mfa-logins').flatMap((w) => w.record ?? []);
    expect(members).toContain('userAgent');
    expect(Object.keys(DATA_MODEL['mfa-logins'].entries.record)).toContain('userAgent');
  });

  test('write each kind as its Redis type', () => {
    const wrong = writes
      .filter(
        (w) =>
          (w.command === 'SET' ? 'string' : 'hash') !== model(w.kind).type && model(w.kind).type !== 'any',
      )
      .map((w) => `${w.script}: ${w.command} ${w.kind}`);
    expect(wrong).toEqual([]);
  });

  test("set a string's literal value as the model says", () => {
    const values = writes.filter((w) => w.command === 'SET' && literal(w.value) !== null);
    expect(values.length).toBeGreaterThan(0);
    for (const w of values) expect([w.kind, `'${literal(w.value)}'`]).toEqual([w.kind, model(w.kind).value]);
  });
});

test('the checks here read the real files (no stale path)', () => {
  expect(scriptFiles().map((file) => relative(root, join(root, file)))).toEqual(
    expect.arrayContaining(['lib/lua.ts', 'lib/sessions/scripts.ts', 'lib/oauth/scripts.ts']),
  );
});
