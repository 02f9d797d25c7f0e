import { PRELUDE } from '../../lib/lua';
import { restClient } from '../support/datastore';
import { runtimeLua } from '../support/lua-scripts';

// The functions project loads lib/ with the scripts' Lua compacted as the bundles ship it
// (tests/support/lua-transform.cjs), so its tests run the shipped Lua against the datastore. Here:
// that it does, and that every script, so compacted, compiles on the datastore. Runs against the
// embedded engine and against a real redis-server (REDIS_URL).

/** Compiles `lua` (without its shebang) as the body of a function never called: 'compiled', or a refusal. */
const compile = (lua: string) =>
  restClient().eval(
    `local _ = function(...)\n${lua.replace(/^#![^\n]*\n/, '')}\nend\nreturn 'compiled'`,
    [],
    [],
  );

test('this project runs the Lua compacted, as the bundles ship it', () => {
  expect(PRELUDE).toBe('\nlocal A=cjson.decode(ARGV[1])local function reply(t)return cjson.encode(t)end\n');
});

test('every script, compacted, compiles on the datastore', async () => {
  const scripts = runtimeLua().filter((lua) => lua.startsWith('#!lua'));
  expect(scripts.length).toBeGreaterThan(60);
  for (const lua of scripts) expect(await compile(lua)).toBe('compiled');
});

test('a script that does not compile is refused (the check above can fail)', async () => {
  await expect(compile('#!lua flags=allow-key-locking\nlocal x=')).rejects.toThrow();
  await expect(compile('#!lua flags=allow-key-locking\nlocal x=a- -b return x')).resolves.toBe('compiled');
});
