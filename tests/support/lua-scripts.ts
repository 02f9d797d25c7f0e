import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(__dirname, '../..');

const { LUA_FILE } = require('../../build/lua-compact.cjs') as { LUA_FILE: RegExp };

/** Every file whose Lua the build compacts (build/lua-compact.cjs `LUA_FILE`), relative to the project. */
export const LUA_FILE_LIST = readdirSync(join(root, 'lib'), { recursive: true, encoding: 'utf8' })
  .map((file) => `lib/${file}`)
  .filter((file) => LUA_FILE.test(`/${file}`))
  .sort();

/**
 * The Lua the modules of those files export, as this test project loads them: whole scripts
 * (`.lua`, starting `#!lua`), the shared helpers and the other fragments.
 */
export function runtimeLua(): string[] {
  const found: string[] = [];
  for (const file of LUA_FILE_LIST)
    for (const value of Object.values(require(join(root, file)) as Record<string, unknown>)) {
      const lua = typeof value === 'string' ? value : (value as { lua?: unknown } | null)?.lua;
      if (typeof lua === 'string') found.push(lua);
    }
  return found;
}
