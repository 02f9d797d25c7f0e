// Builds every Lambda in functions/ into its own minified CommonJS bundle (dist/<fn>/index.js)
// and the local tooling (dev/, bench/) into dist/tools/. Usage:
//   node esbuild.config.mjs            functions + tools
//   node esbuild.config.mjs functions  functions only
//   node esbuild.config.mjs tools      tools only
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const which = process.argv[2] ?? 'all';
const root = new URL('.', import.meta.url).pathname;

/** Functions whose bundle loads the native Argon2 addon; it stays external and ships beside them. */
export const NATIVE_EXTERNALS = ['@node-rs/argon2'];

// Passwords shorter than the lowest allowed PASSWORD_MIN_LENGTH can never pass the length rule, so
// the bundled common-password list keeps only the longer ones, gzipped (≈12 KiB instead of 75).
const passwordFloor = Number(
  /PASSWORD_MIN_LENGTH_FLOOR = (\d+)/.exec(readFileSync(join(root, 'lib/config.ts'), 'utf8'))?.[1],
);
if (!passwordFloor) throw new Error('PASSWORD_MIN_LENGTH_FLOOR not found in lib/config.ts');
const commonPasswords = {
  name: 'common-passwords',
  setup(build) {
    build.onLoad({ filter: /common-passwords\.txt$/ }, async (args) => {
      const kept = (await readFile(args.path, 'utf8'))
        .split('\n')
        .filter((line) => [...line.trim()].length >= passwordFloor)
        .join('\n');
      const packed = gzipSync(kept, { level: 9 }).toString('base64');
      return {
        contents: `module.exports = require('node:zlib').gunzipSync(Buffer.from(${JSON.stringify(packed)}, 'base64')).toString('utf8');`,
        loader: 'js',
      };
    });
  },
};

const entries = (dir) =>
  (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : [])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'));

async function buildFunctions() {
  await rm(join(root, 'dist/functions'), { recursive: true, force: true });
  await mkdir(join(root, 'dist/meta'), { recursive: true });
  const names = entries('functions');
  await Promise.all(
    names.map(async (name) => {
      const result = await build({
        entryPoints: [join(root, 'functions', `${name}.ts`)],
        outfile: join(root, 'dist/functions', name, 'index.js'),
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: NATIVE_EXTERNALS,
        plugins: [commonPasswords],
        legalComments: 'none',
        metafile: true,
        logLevel: 'warning',
      });
      // What went into each bundle, for the size budget test and `npm run bench`.
      await writeFile(join(root, 'dist/meta', `${name}.json`), JSON.stringify(result.metafile));
    }),
  );
  return names;
}

async function buildTools() {
  const points = [
    ...['start', 'datastore-cli', 'keygen'].map((n) => join(root, 'dev', `${n}.ts`)),
    ...entries('bench').map((n) => join(root, 'bench', `${n}.ts`)),
  ].filter((p) => existsSync(p));
  await build({
    // Named entries keep the output flat (dist/tools/<name>.js) even when dev/ and bench/ both
    // contribute; a plain list would nest them under their common ancestor (dist/tools/dev/…).
    entryPoints: points.map((p) => ({ in: p, out: basename(p, '.ts') })),
    outdir: join(root, 'dist/tools'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    loader: { '.txt': 'text' },
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

if (which === 'all' || which === 'functions') await buildFunctions();
if (which === 'all' || which === 'tools') await buildTools();
