// The Lua of the scripts ships compacted (build/lua-compact.cjs, through the esbuild plugin
// `compactLua` of build/lambda-bundle.mjs): comments and blanks between tokens dropped, every token
// kept. Checked here on hand-picked cases, where two tokens written together would read as others,
// and on every Lua fragment of the service: the same tokens before and after, each fragment compacted
// is Lua a script runs, and no Lua of a script is left out of the compaction.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LUA_FILE_LIST as luaFiles, root, runtimeLua } from '../support/lua-scripts';

const { compactLua, compactLuaTemplates, luaTokens } = require('../../build/lua-compact.cjs') as {
  compactLua(lua: string): string;
  compactLuaTemplates(
    source: string,
    fileName: string,
  ): { code: string; compacted: { before: string; after: string }[] };
  luaTokens(lua: string): { text: string; newline: boolean }[];
};

const texts = (lua: string) => luaTokens(lua).map((token) => token.text);

describe('compactLua', () => {
  test.each([
    ['local x = 1\nlocal y = x + 2', 'local x=1\nlocal y=x+2'],
    ['return a - -b', 'return a- -b'],
    ['local s = 1 .. x', 'local s=1 ..x'],
    ['local s = x .. 1', 'local s=x.. 1'],
    ['local s = x .. .5', 'local s=x.. .5'],
    ['local v = t[ [[k]] ]', 'local v=t[ [[k]]]'],
    ['local v = t[ [=[k]=] ]', 'local v=t[ [=[k]=]]'],
    ["-- a comment\nlocal s = 'a -- b' -- another", "local s='a -- b'"],
    ['--[[ a long\ncomment ]] return 1', 'return 1'],
    ['--[==[ ]] ]==] return 2', 'return 2'],
    ['local s = "a\\"b -- c" return s', 'local s="a\\"b -- c"return s'],
    ['local s = [[\n  kept  as -- is\n]]', 'local s=[[\n  kept  as -- is\n]]'],
    ['f()\n(g)()', 'f()\n(g)()'],
    ['if a ~= b and c == -1 then return end', 'if a~=b and c==-1 then return end'],
    ['local n = 0x1F + 1e-3 .. x', 'local n=0x1F+1e-3 ..x'],
    ['local t = { a = 1, [2] = "b" }', 'local t={a=1,[2]="b"}'],
    ['return #KEYS - #A.list', 'return#KEYS-#A.list'],
    ['local function f(...) return ... end', 'local function f(...)return...end'],
    ['x = a <= b\ny = a >= b', 'x=a<=b\ny=a>=b'],
  ])('%j → %j', (lua, compacted) => {
    expect(compactLua(lua)).toBe(compacted);
    expect(texts(compacted)).toEqual(texts(lua));
  });

  test.each([["local s = 'unfinished"], ['local s = "a\nb"'], ['local x = 1 ? 2'], ['--[[ never closed']])(
    'refuses what Lua would not read: %j',
    (lua) => {
      expect(() => compactLua(lua)).toThrow();
    },
  );
});

describe('the Lua of the service, compacted as it ships', () => {
  const fragments = luaFiles.flatMap((file) =>
    compactLuaTemplates(readFileSync(join(root, file), 'utf8'), file).compacted.map((fragment) => ({
      file,
      ...fragment,
    })),
  );
  const lua = runtimeLua();

  test('the plugin reads the files of every script, the helpers and the prelude', () => {
    expect(luaFiles).toEqual(
      expect.arrayContaining([
        'lib/lua.ts',
        'lib/lua-helpers.ts',
        'lib/fixed-window.ts',
        'lib/oauth/identity-cleanup.ts',
        'lib/recovery/scripts.ts',
      ]),
    );
    expect(fragments.length).toBeGreaterThan(80);
  });

  test('each fragment keeps its tokens, its first line and its last newline, and is smaller', () => {
    for (const { file, before, after } of fragments) {
      const lua = (text: string) => texts(text.replace(/^#![^\n]*\n/, ''));
      expect([file, lua(after)]).toEqual([file, lua(before)]);
      expect(after.split('\n')[0]).toBe(before.split('\n')[0]?.startsWith('#!') ? before.split('\n')[0] : '');
      expect(after.endsWith('\n')).toBe(before.endsWith('\n'));
      expect(after.length).toBeLessThan(before.length);
    }
  });

  test('each fragment compacted is Lua that a script runs (no other template is touched)', () => {
    const outside = fragments.filter(
      ({ before }) => !before.startsWith('#!lua') && !lua.some((text) => text.includes(before)),
    );
    expect(outside.map(({ file, before }) => `${file}: ${before.slice(0, 60)}`)).toEqual([]);
  });

  test('no Lua of a script is left out: without its compacted fragments, a script is its two first lines', () => {
    const scripts = lua.filter((text) => text.startsWith('#!lua'));
    expect(scripts.length).toBeGreaterThan(60);
    const pieces = fragments.map(({ before }) => before).sort((a, b) => b.length - a.length);
    for (const script of scripts) {
      let rest = script;
      for (const piece of pieces) rest = rest.split(piece).join('\n');
      // The shebang and the line binding KEYS to names are built at run time (lib/lua.ts `script`).
      rest = rest.replace(/^#![^\n]*\n(local [\w, ]+ = KEYS\[1\](, KEYS\[\d+\])*)?\n/, '');
      expect(rest.trim()).toBe('');
    }
  });
});
