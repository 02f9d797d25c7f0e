// The functions project's transform: @swc/jest as the other projects use it, after compacting the
// Lua of the files that hold scripts exactly as the esbuild plugin does for the bundles
// (build/lua-compact.cjs). The scripts these tests run against the datastore are then the scripts
// as they ship. The unit project reads the Lua as written (tests/unit/data-model.test.ts).
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { createTransformer } = require('@swc/jest');
const { LUA_FILE, compactLuaTemplates } = require('../../build/lua-compact.cjs');

const swc = createTransformer({ jsc: { target: 'es2022' }, module: { type: 'commonjs' } });
/** Part of every cache key: a change to the compaction invalidates what was transformed with it. */
const compactor = createHash('sha1')
  .update(readFileSync(join(__dirname, '../../build/lua-compact.cjs')))
  .digest('hex');
const compacted = (source, path) => (LUA_FILE.test(path) ? compactLuaTemplates(source, path).code : source);

module.exports = {
  process: (source, path, options) => swc.process(compacted(source, path), path, options),
  getCacheKey: (source, path, options) => `${swc.getCacheKey(source, path, options)}:${compactor}`,
};
