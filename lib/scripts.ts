// The Lua scripts, one file per feature (each store runs its own); lib/lua.ts holds what they
// share (the prelude, `script()`, the reply types), lib/lua-helpers.ts the helpers a script lists
// (each bundled only where a script uses it). Importers keep
// one door, `import * as scripts from './scripts'`; esbuild still bundles only the scripts used.
export * from './accounts/change-scripts';
export * from './accounts/login-scripts';
export * from './lua';
export * from './lua-helpers';
export * from './mfa/scripts';
export * from './passkeys/scripts';
export * from './recovery/scripts';
export * from './sessions/rotation-scripts';
