import { createHash } from 'node:crypto';
import { Redis } from '@upstash/redis';
import type { Datastore } from '../../dev/datastore/server';
import { startDatastore } from '../../dev/datastore/server';
import { restClient, restEndpoint, uniquePrefix } from '../support/datastore';

// The REST datastore as @upstash/redis sees it, plus raw `fetch` checks of the wire format.
// Runs unchanged against the embedded engine and against a real redis-server (REDIS_URL).

const prefix = uniquePrefix(__filename);
const key = (name: string) => `${prefix}${name}`;

/** Default client: base64 responses, automatic deserialization, auto-pipelining (→ /pipeline). */
const redis = restClient();
/** Values exactly as stored: no JSON parsing of results. */
const raw = restClient({ automaticDeserialization: false });

interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
  body: unknown;
}

async function post(
  path: string,
  body: unknown,
  { token = restEndpoint().token, base64 = false }: { token?: string | null; base64?: boolean } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (base64) headers['upstash-encoding'] = 'base64';
  const res = await fetch(`${restEndpoint().url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text, body: JSON.parse(text) };
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex');
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';

describe('strings', () => {
  test.each([
    ['emoji', 'party 🎉 time 😀'],
    ['CJK', '漢字かなカナ한국어'],
    ['accents and control characters', 'héllo\twörld\n\u0000end'],
    ['leading zeros', '007'],
    ['exponent notation', '1e3'],
    ['JSON text', '{"a":[1,2]}'],
    ['empty string', ''],
  ])('%s round-trip byte for byte', async (_, value) => {
    await raw.set(key(`str:${value}`), value);

    await expect(raw.get(key(`str:${value}`))).resolves.toBe(value);
  });

  test('numeric-looking strings survive automatic deserialization', async () => {
    await redis.mset({ [key('n:007')]: '007', [key('n:1e3')]: '1e3', [key('n:42')]: '42' });

    const values = await redis.mget(key('n:007'), key('n:1e3'), key('n:42'));

    expect(values).toEqual(['007', '1e3', 42]);
  });

  test('a missing key is null in both modes', async () => {
    await expect(raw.get(key('missing'))).resolves.toBeNull();
    await expect(redis.get(key('missing'))).resolves.toBeNull();
    await expect(raw.mget(key('missing'), key('missing-too'))).resolves.toEqual([null, null]);
  });

  test('a 1 MiB value round-trips', async () => {
    const value = `${'a'.repeat(1024 * 1024 - 8)}漢字😀`;

    await raw.set(key('big'), value);

    await expect(raw.get(key('big'))).resolves.toBe(value);
    await expect(raw.strlen(key('big'))).resolves.toBe(Buffer.byteLength(value));
  });

  test('SET with lower-case nx and ex sets once, with a TTL', async () => {
    const first = await raw.set(key('nx'), 'first', { nx: true, ex: 10 });
    const second = await raw.set(key('nx'), 'second', { nx: true, ex: 10 });

    expect([first, second]).toEqual(['OK', null]);
    await expect(raw.get(key('nx'))).resolves.toBe('first');
    const ttl = await raw.ttl(key('nx'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10);
  });
});

describe('hashes, counters and expiry', () => {
  test('HSET then HGETALL: a flat array raw, an object deserialized', async () => {
    await expect(raw.hset(key('hash'), { name: 'Zoë', visits: '3' })).resolves.toBe(2);

    await expect(raw.hgetall(key('hash'))).resolves.toEqual(['name', 'Zoë', 'visits', '3']);
    await expect(redis.hgetall(key('hash'))).resolves.toEqual({ name: 'Zoë', visits: 3 });
    await expect(raw.hgetall(key('no-hash'))).resolves.toEqual([]);
  });

  test('INCR, EXPIRE and TTL', async () => {
    await expect(raw.incr(key('counter'))).resolves.toBe(1);
    await expect(raw.incr(key('counter'))).resolves.toBe(2);
    await expect(raw.ttl(key('counter'))).resolves.toBe(-1);

    await expect(raw.expire(key('counter'), 100)).resolves.toBe(1);

    const ttl = await raw.ttl(key('counter'));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    await expect(raw.ttl(key('no-counter'))).resolves.toBe(-2);
  });

  test('INCR of a non-integer fails with the Redis error text', async () => {
    await raw.set(key('text'), 'abc');

    await expect(raw.incr(key('text'))).rejects.toThrow(NOT_AN_INTEGER);
  });
});

describe('pipelines and transactions', () => {
  test('a failing command in the middle of a pipeline fails alone', async () => {
    await raw.set(key('p:text'), 'abc');

    const results = await raw
      .pipeline()
      .set(key('p:a'), '1')
      .incr(key('p:text'))
      .incr(key('p:a'))
      .exec({ keepErrors: true });

    expect(results).toEqual([
      { result: 'OK', error: undefined },
      { result: undefined, error: NOT_AN_INTEGER },
      { result: 2, error: undefined },
    ]);
  });

  test('without keepErrors the client reports which pipeline command failed', async () => {
    await raw.set(key('p2:text'), 'abc');

    const pipeline = raw.pipeline().set(key('p2:a'), '1').incr(key('p2:text')).get(key('p2:a'));

    await expect(pipeline.exec()).rejects.toThrow(`Command 2 [ incr ] failed: ${NOT_AN_INTEGER}`);
  });

  test('a runtime error in a transaction fails that command; the others are applied', async () => {
    const results = await raw
      .multi()
      .set(key('t:a'), 'not a number')
      .incr(key('t:a'))
      .set(key('t:b'), 'applied')
      .exec({ keepErrors: true });

    expect(results).toEqual([
      { result: 'OK', error: undefined },
      { result: undefined, error: NOT_AN_INTEGER },
      { result: 'OK', error: undefined },
    ]);
    await expect(raw.mget(key('t:a'), key('t:b'))).resolves.toEqual(['not a number', 'applied']);
  });

  test.each([
    ['an unknown command', ['nosuchcommand', 'x']],
    ['a wrong number of arguments', ['get']],
  ])('%s discards the whole transaction (EXECABORT)', async (_, bad) => {
    const res = await post('/multi-exec', [['set', key('abort'), 'v'], bad, ['incr', key('abort:n')]]);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: expect.stringMatching(/^EXECABORT Transaction discarded because of previous errors/),
    });
    await expect(raw.exists(key('abort'), key('abort:n'))).resolves.toBe(0);
  });

  test('the client surfaces a queue-time failure as EXECABORT', async () => {
    const transaction = raw.multi().set(key('abort2'), 'v').mget();

    await expect(transaction.exec()).rejects.toThrow('EXECABORT');
    await expect(raw.exists(key('abort2'))).resolves.toBe(0);
  });

  test('100 concurrent transactions never interleave', async () => {
    const counter = key('concurrent');

    const results = await Promise.all(
      Array.from({ length: 100 }, () => raw.multi().incr(counter).incr(counter).exec<[number, number]>()),
    );

    // Each transaction sees its own two increments back to back.
    for (const [first, second] of results) expect(second).toBe(first + 1);
    expect(new Set(results.map(([first]) => first)).size).toBe(100);
    await expect(raw.get(counter)).resolves.toBe('200');
  });
});

describe('Lua scripts', () => {
  let datastore: Datastore;
  let counted: Redis;

  // A REST layer of its own over the same backend, so these counts see only this file's requests.
  beforeAll(async () => {
    datastore = await startDatastore({ redisUrl: process.env.DATASTORE_REDIS_URL });
    counted = new Redis({
      url: datastore.url,
      token: datastore.token,
      enableTelemetry: false,
      retry: false,
      enableAutoPipelining: false,
      automaticDeserialization: false,
    });
  });
  afterAll(() => datastore.close());
  beforeEach(() => datastore.resetCounts());

  test('nested tables come back as nested arrays', async () => {
    const script = "return {1, {'a', {2, 'b'}}, '😀', {}}";

    await expect(raw.eval(script, [], [])).resolves.toEqual([1, ['a', [2, 'b']], '😀', []]);
  });

  test('compare-and-set with createScript: EVALSHA, NOSCRIPT, EVAL, then EVALSHA only', async () => {
    // The run's prefix in a comment makes the SHA new even to a long-lived Redis's script cache.
    const compareAndSet = counted.createScript<number>(`-- ${prefix}
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        redis.call('SET', KEYS[1], ARGV[2])
        return 1
      end
      return 0`);
    await counted.set(key('cas'), 'a');
    datastore.resetCounts();

    const swapped = await compareAndSet.exec([key('cas')], ['a', 'b']);
    const afterFirst = datastore.counts();
    const refused = await compareAndSet.exec([key('cas')], ['a', 'c']);
    const afterSecond = datastore.counts();

    expect([swapped, refused]).toEqual([1, 0]);
    await expect(counted.get(key('cas'))).resolves.toBe('b');
    expect(afterFirst).toMatchObject({ command: 2, pipeline: 0, multiExec: 0, total: 2 });
    expect(afterSecond).toMatchObject({ command: 3, pipeline: 0, multiExec: 0, total: 3 });
  });

  test('EVALSHA of an unknown script fails with the NOSCRIPT text', async () => {
    const res = await post('/', ['evalsha', sha1(`${prefix} unknown`), '0']);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringMatching(/^NOSCRIPT No matching script/) });
  });

  test('cjson.encode and cjson.decode', async () => {
    const script = 'local v = cjson.decode(ARGV[1]); v.n = v.n + 1; return cjson.encode(v)';

    await expect(raw.eval(script, [], ['{"n":41}'])).resolves.toBe('{"n":42}');
    await expect(redis.eval(script, [], ['{"n":41}'])).resolves.toEqual({ n: 42 });
  });

  test('redis.status_reply is a plain string result', async () => {
    await expect(raw.eval("return redis.status_reply('FINE')", [], [])).resolves.toBe('FINE');
  });

  test('redis.error_reply is an error with its text', async () => {
    const res = await post('/', ['eval', "return redis.error_reply('MYERR custom failure')", '0']);

    expect(res).toMatchObject({ status: 400, body: { error: 'MYERR custom failure' } });
    await expect(raw.eval("return redis.error_reply('MYERR custom failure')", [], [])).rejects.toThrow(
      'MYERR custom failure',
    );
  });

  test('a #!lua flags= first line works through createScript', async () => {
    const script = counted.createScript<string>(
      `#!lua flags=allow-key-locking\n-- ${prefix} shebang\nreturn redis.call('GET', KEYS[1])`,
    );
    await counted.set(key('shebang'), 'value');
    datastore.resetCounts();

    await expect(script.exec([key('shebang')], [])).resolves.toBe('value');
    expect(datastore.counts().command).toBe(2);
    await expect(script.exec([key('shebang')], [])).resolves.toBe('value');
    expect(datastore.counts().command).toBe(3);
  });

  test('SCRIPT LOAD of a #!lua script answers its own SHA, which EVALSHA then runs', async () => {
    const source = `#!lua flags=allow-key-locking\n-- ${prefix} load\nreturn ARGV[1] .. '!'`;

    const sha = await counted.scriptLoad(source);

    expect(sha).toBe(sha1(source));
    await expect(counted.evalsha(sha, [], ['hi'])).resolves.toBe('hi!');
    await expect(counted.scriptExists(sha)).resolves.toEqual([1]);
  });

  test('scripts work inside pipelines and transactions too', async () => {
    const source = `#!lua flags=allow-key-locking\n-- ${prefix} batch\nreturn redis.call('INCR', KEYS[1])`;
    const sha = await counted.scriptLoad(source);

    const piped = await counted
      .pipeline()
      .evalsha(sha, [key('batch')], [])
      .eval(source, [key('batch')], [])
      .exec();
    const transacted = await counted
      .multi()
      .evalsha(sha, [key('batch')], [])
      .exec();

    expect([...piped, ...transacted]).toEqual([1, 2, 3]);
  });

  describe('a script flagged allow-key-locking touches only the keys in KEYS, as on Upstash', () => {
    const flagged = (body: string) => `#!lua flags=allow-key-locking\n-- ${prefix} locking\n${body}`;

    test('a declared key is read and written', async () => {
      await expect(
        raw.eval(
          flagged("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])"),
          [key('declared')],
          ['v'],
        ),
      ).resolves.toBe('v');
    });

    test.each([
      ['a read', "return redis.call('GET', KEYS[1] .. ':other')"],
      ['a write', "return redis.call('SET', KEYS[1] .. ':other', '1')"],
      ['a second key of a multi-key command', "return redis.call('DEL', KEYS[1], KEYS[1] .. ':other')"],
      ['a key built from ARGV', "return redis.call('HGET', ARGV[1], 'f')"],
    ])('%s of an undeclared key fails the script', async (_, body) => {
      await expect(raw.eval(flagged(body), [key('guarded')], [key('elsewhere')])).rejects.toThrow(
        /undeclared key/,
      );
      // Nothing the failing command would have written exists.
      await expect(raw.exists(key('guarded:other'))).resolves.toBe(0);
    });

    test('redis.pcall answers the refusal as an error reply', async () => {
      await expect(
        raw.eval(
          flagged(
            "local r = redis.pcall('GET', 'x' .. KEYS[1]) if type(r) == 'table' and r.err then return r.err end return 'no'",
          ),
          [key('p')],
          [],
        ),
      ).resolves.toMatch(/undeclared key/);
    });

    test('the same body without the flag may touch any key (the global lock on Upstash)', async () => {
      await expect(
        raw.eval(`-- ${prefix} unflagged\nreturn redis.call('GET', ARGV[1])`, [], [key('free')]),
      ).resolves.toBeNull();
    });

    test('EVALSHA of a flagged script is guarded as well, under its original SHA', async () => {
      const source = flagged("return redis.call('GET', ARGV[1])");
      const sha = await raw.scriptLoad(source);
      expect(sha).toBe(sha1(source));
      await expect(raw.evalsha(sha, [key('a')], [key('b')])).rejects.toThrow(/undeclared key/);
      await expect(raw.evalsha(sha, [key('a'), key('b')], [key('b')])).resolves.toBeNull();
    });

    test('an error names the line of the script, as without the guard', async () => {
      await expect(raw.eval(flagged("\n\nreturn redis.call('NOSUCHCOMMAND')"), [], [])).rejects.toThrow(
        /:5:|Unknown/i,
      );
    });
  });

  describe('a script flagged no-writes is read-only, as on Redis 7 and Upstash', () => {
    const readOnly = (body: string) => `#!lua flags=no-writes,allow-key-locking\n-- ${prefix} ro\n${body}`;
    const WRITE_REFUSED = /Write commands are not allowed from read-only scripts/;

    test('it reads its declared keys through EVAL_RO, EVALSHA_RO and plain EVAL alike', async () => {
      await raw.set(key('ro:read'), 'v');
      const source = readOnly("return redis.call('GET', KEYS[1])");
      const script = counted.createScript<string, true>(source, { readonly: true });
      await expect(script.exec([key('ro:read')], [])).resolves.toBe('v');
      await expect(script.exec([key('ro:read')], [])).resolves.toBe('v');
      await expect(counted.eval(source, [key('ro:read')], [])).resolves.toBe('v');
      // EVALSHA_RO (NOSCRIPT), EVAL_RO, EVALSHA_RO, then the plain EVAL run read-only: no write counted.
      expect(datastore.counts()).toMatchObject({ commands: { evalsha_ro: 2, eval_ro: 2 }, writes: 0 });
    });

    test.each([
      ['EVAL_RO', (source: string) => counted.evalRo(source, [key('ro:w')], [])],
      ['plain EVAL', (source: string) => counted.eval(source, [key('ro:w')], [])],
      [
        'EVALSHA after SCRIPT LOAD',
        async (source: string) => counted.evalsha(await counted.scriptLoad(source), [key('ro:w')], []),
      ],
    ])('a write inside it fails under %s with Redis’s error, and nothing is written', async (_, run) => {
      const source = readOnly(`redis.call('SET', KEYS[1], '1') return 'wrote' -- ${_}`);
      await expect(run(source)).rejects.toThrow(WRITE_REFUSED);
      await expect(raw.exists(key('ro:w'))).resolves.toBe(0);
    });

    test('an undeclared key is still refused in it', async () => {
      await expect(
        counted.evalRo(readOnly("return redis.call('GET', ARGV[1])"), [key('a')], [key('b')]),
      ).rejects.toThrow(/undeclared key/);
    });

    test('EVAL_RO of a flagged script that may write is refused as Redis 7.0 refuses it', async () => {
      const source = `#!lua flags=allow-key-locking\n-- ${prefix} rw\nreturn redis.call('GET', KEYS[1])`;
      await expect(counted.evalRo(source, [key('rw')], [])).rejects.toThrow(
        'Can not execute a script with write flag using *_ro command',
      );
      const sha = await counted.scriptLoad(source);
      await expect(counted.evalshaRo(sha, [key('rw')], [])).rejects.toThrow(/write flag using \*_ro/);
    });
  });

  test('stats count each endpoint, over HTTP too', async () => {
    await counted.get(key('stats'));
    await counted.pipeline().get(key('stats')).get(key('stats')).exec();
    await counted.multi().get(key('stats')).exec();
    const headers = { authorization: `Bearer ${datastore.token}` };

    const stats = await fetch(`${datastore.url}/__stats`, { headers });
    const unauthorized = await fetch(`${datastore.url}/__stats`);
    const reset = await fetch(`${datastore.url}/__stats`, { method: 'DELETE', headers });

    const expected = { command: 1, pipeline: 1, multiExec: 1, total: 3, commands: { get: 4 }, writes: 0 };
    expect(await stats.json()).toEqual(expected);
    expect(unauthorized.status).toBe(401);
    const zero = { command: 0, pipeline: 0, multiExec: 0, total: 0, commands: {}, writes: 0 };
    expect(await reset.json()).toEqual(zero);
    expect(datastore.counts()).toEqual(zero);
  });
});

describe('refused commands', () => {
  test.each([
    ['WATCH', ['watch', key('w')]],
    ['BLPOP', ['blpop', key('list'), '0']],
    ['SUBSCRIBE', ['subscribe', 'channel']],
    ['XREAD', ['xread', 'count', '1', 'block', '0', 'streams', key('stream'), '$']],
    ['SELECT', ['select', '1']],
    ['MULTI', ['multi']],
  ])('%s is refused with a clear error', async (name, command) => {
    const res = await post('/', command);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: expect.stringMatching(new RegExp(`^ERR ${name} is not supported over REST`)),
    });
  });

  test('XREAD without BLOCK is allowed', async () => {
    const res = await post('/', ['xread', 'count', '1', 'streams', key('stream'), '0']);

    expect(res).toMatchObject({ status: 200, body: { result: null } });
  });

  test('in a pipeline only the refused command fails', async () => {
    const res = await post('/pipeline', [
      ['set', key('refused'), 'v'],
      ['blpop', key('refused:list'), '0'],
      ['get', key('refused')],
    ]);

    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { result: 'OK' },
      { error: expect.stringMatching(/^ERR BLPOP is not supported over REST/) },
      { result: 'v' },
    ]);
  });

  test('in a transaction a refused command discards everything', async () => {
    const res = await post('/multi-exec', [
      ['set', key('refused-tx'), 'v'],
      ['watch', key('refused-tx')],
    ]);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringMatching(/^ERR WATCH is not supported over REST/) });
    await expect(raw.exists(key('refused-tx'))).resolves.toBe(0);
  });
});

describe('HTTP contract', () => {
  test.each([
    ['a wrong token', 'not-the-token'],
    ['no token', null],
  ])('%s is 401 on every endpoint', async (_, token) => {
    for (const path of ['/', '/pipeline', '/multi-exec']) {
      const res = await post(path, path === '/' ? ['get', key('x')] : [['get', key('x')]], { token });

      expect(res).toEqual({
        status: 401,
        contentType: 'application/json',
        text: '{"error":"Unauthorized"}',
        body: { error: 'Unauthorized' },
      });
    }
  });

  test('the client with a wrong token fails with Unauthorized', async () => {
    const stranger = restClient({ token: 'not-the-token', enableAutoPipelining: false });

    await expect(stranger.get(key('x'))).rejects.toThrow('Unauthorized');
  });

  test('an unknown route is 404 and another method 405, both JSON', async () => {
    const notFound = await post('/get/key', ['get', key('x')]);
    const wrongMethod = await fetch(`${restEndpoint().url}/pipeline`, {
      headers: { authorization: `Bearer ${restEndpoint().token}` },
    });

    expect(notFound).toMatchObject({
      status: 404,
      contentType: 'application/json',
      body: { error: expect.any(String) },
    });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toEqual({ error: expect.stringContaining('GET') });
  });

  test.each([
    ['malformed JSON', '/', '["get", '],
    ['an object', '/', { command: 'get' }],
    ['an empty command', '/', []],
    ['a nested argument', '/', ['get', ['x']]],
    ['a null argument', '/', ['set', 'k', null]],
    ['a number as command name', '/', [1, 2]],
    ['a pipeline of strings', '/pipeline', ['get', 'x']],
    ['an empty pipeline', '/pipeline', []],
    ['an empty transaction', '/multi-exec', []],
  ])('%s is 400 with a clear error', async (_, path, body) => {
    const res = await post(path, body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringMatching(/^ERR failed to parse command: /) });
  });

  test('an 11 MiB body is 413', async () => {
    const res = await post('/', ['set', key('huge'), 'x'.repeat(11 * 1024 * 1024)]);

    expect(res).toMatchObject({ status: 413, body: { error: expect.stringContaining('exceeds') } });
    await expect(raw.exists(key('huge'))).resolves.toBe(0);
  });
});

describe('wire format', () => {
  test('a null result keeps its "result" key, with and without base64', async () => {
    const plain = await post('/', ['get', key('wire:missing')]);
    const encoded = await post('/', ['get', key('wire:missing')], { base64: true });

    expect(plain).toMatchObject({ status: 200, contentType: 'application/json', text: '{"result":null}' });
    expect(encoded.text).toBe('{"result":null}');
  });

  test('base64 applies to every string at every depth; integers and null stay plain', async () => {
    const script = "return {1, {'a', {2, 'b', false}}, '😀', redis.status_reply('OK')}";

    const res = await post('/', ['eval', script, '0'], { base64: true });

    expect(res.body).toEqual({ result: [1, [b64('a'), [2, b64('b'), null]], b64('😀'), b64('OK')] });
  });

  test('without the header strings are plain UTF-8 JSON', async () => {
    await post('/', ['set', key('wire:s'), '漢字😀']);

    const res = await post('/', ['get', key('wire:s')]);

    expect(res.text).toBe('{"result":"漢字😀"}');
  });

  test('integers are JSON numbers and errors are never encoded', async () => {
    await post('/', ['set', key('wire:text'), 'abc']);

    const counter = await post('/', ['incr', key('wire:n')], { base64: true });
    const failed = await post('/', ['incr', key('wire:text')], { base64: true });
    const piped = await post(
      '/pipeline',
      [
        ['incr', key('wire:n')],
        ['incr', key('wire:text')],
        ['hgetall', key('wire:none')],
      ],
      { base64: true },
    );

    expect(counter).toMatchObject({ status: 200, body: { result: 1 } });
    expect(failed).toMatchObject({ status: 400, body: { error: NOT_AN_INTEGER } });
    expect(piped.body).toEqual([{ result: 2 }, { error: NOT_AN_INTEGER }, { result: [] }]);
  });

  test('the Upstash-Encoding value is case-insensitive', async () => {
    await post('/', ['set', key('wire:case'), 'v']);

    const res = await fetch(`${restEndpoint().url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${restEndpoint().token}`, 'Upstash-Encoding': 'BASE64' },
      body: JSON.stringify(['get', key('wire:case')]),
    });

    expect(await res.json()).toEqual({ result: b64('v') });
  });

  test('HGETALL is a flat array on the wire', async () => {
    await post('/', ['hset', key('wire:h'), 'f', 'v']);

    const res = await post('/multi-exec', [['hgetall', key('wire:h')]]);

    expect(res.body).toEqual([{ result: ['f', 'v'] }]);
  });
});
