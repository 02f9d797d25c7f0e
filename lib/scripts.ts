// The Lua scripts, one file per feature (each store runs its own); lib/lua.ts holds what they
// share (the prelude, the helpers, `script()`, the data model and its invariants). Importers keep
// one door, `import * as scripts from './scripts'`; esbuild still bundles only the scripts used.
export * from './accounts/change-scripts';
export * from './accounts/login-scripts';
export * from './lua';
export * from './mfa/scripts';
export * from './passkeys/scripts';
export * from './recovery/scripts';
export * from './sessions/rotation-scripts';
