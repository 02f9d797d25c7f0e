// What one function's bundle is made of: its size, and the bytes each input contributes to it
// (esbuild's `bytesInOutput`), largest first; with `--packages`, node_modules inputs summed per
// package. Reads dist/meta/<fn>.json, the metafile every `node esbuild.config.mjs functions` writes.
// Usage:
//   node esbuild.config.mjs functions
//   node build/bundle-inputs.mjs <fn> [--packages] [--top N]     one function (default: top 40)
//   node build/bundle-inputs.mjs --sizes                            every function's size, largest first
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const meta = join(root, 'dist/meta');
const args = process.argv.slice(2);
const KIB = 1024;
const kib = (bytes) => (bytes / KIB).toFixed(1).padStart(7);

/** The one output of a function's build and its inputs' contributions. */
function outputOf(fn) {
  const { outputs } = JSON.parse(readFileSync(join(meta, `${fn}.json`), 'utf8'));
  const [output] = Object.values(outputs).filter((o) => o.entryPoint);
  if (!output) throw new Error(`dist/meta/${fn}.json: no entry point output`);
  return output;
}

if (args.includes('--sizes')) {
  const sizes = readdirSync(meta)
    .filter((file) => file.endsWith('.json'))
    .map((file) => [basename(file, '.json'), outputOf(basename(file, '.json')).bytes])
    .sort((a, b) => b[1] - a[1]);
  for (const [fn, bytes] of sizes) console.log(`${kib(bytes)} KiB  ${fn}`);
} else {
  const fn = args.find((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
  if (!fn) throw new Error('usage: node build/bundle-inputs.mjs <fn> [--packages] [--top N] | --sizes');
  const top = Number(args[args.indexOf('--top') + 1]) || 40;
  const output = outputOf(fn);
  const totals = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const name = args.includes('--packages') && pkg ? pkg : input.replace(/^.*node_modules\//, '');
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  console.log(`${kib(output.bytes)} KiB  ${fn} (dist/functions/${fn}/index.js)`);
  for (const [name, bytes] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${kib(bytes)} KiB  ${name}`);
}
