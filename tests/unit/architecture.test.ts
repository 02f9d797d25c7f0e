// The shape of lib/ (README, "Architecture"): a flat shared core plus one folder per feature.
// - no import circle among lib/'s modules (value imports; `import type` is erased by the build);
// - a feature folder never imports another feature's store or scripts (a service it is handed is
//   the way across), except as types; a feature's services.ts is a composition root (it builds
//   what its functions are handed: the mail function's builder makes the stores its jobs use);
// - no file of logic over 400 lines (the contract tables may be longer).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = join(__dirname, '../..');
const lib = join(root, 'lib');

/** Contract tables: long on purpose, one row per route, resource, code or key kind. */
const TABLES = new Set(['routes.ts', 'data-model.ts', 'resources.ts', 'validation.ts', 'errors.ts']);
const MAX_LINES = 400;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

const files = sources(lib);
const rel = (path: string) => relative(root, path);

/** The lib/ modules a file imports at run time (relative specifiers; type-only imports left out). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gms;
  for (const match of text.matchAll(pattern)) {
    if (match[2]) continue;
    const target = normalize(join(dirname(file), match[3] as string));
    const resolved = [target, `${target}.ts`, join(target, 'index.ts')].find((candidate) =>
      files.includes(candidate),
    );
    if (resolved) found.push(resolved);
  }
  return found;
}

/** All imports, type-only included, with whether each is type-only. */
function allImports(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const found: { target: string; typeOnly: boolean }[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gms;
  for (const match of text.matchAll(pattern)) {
    const target = normalize(join(dirname(file), match[3] as string));
    const resolved = [target, `${target}.ts`, join(target, 'index.ts')].find((candidate) =>
      files.includes(candidate),
    );
    if (resolved) found.push({ target: resolved, typeOnly: Boolean(match[2]) });
  }
  return found;
}

const feature = (file: string): string | null => {
  const parts = relative(lib, file).split('/');
  return parts.length > 1 ? (parts[0] as string) : null;
};
const isStoreOrScripts = (file: string) => /(?:^|[\\/])(?:store|[\w-]*scripts)\.ts$/.test(file);

test('the import walk sees lib/ whole', () => {
  expect(files.length).toBeGreaterThan(50);
  expect(valueImports(join(lib, 'services.ts')).length).toBeGreaterThan(3);
});

test('lib/ has no import circle', () => {
  const graph = new Map(files.map((file) => [file, valueImports(file)]));
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].map(rel).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) walk(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) walk(file, []);
  expect(circles).toEqual([]);
});

test("no feature folder imports another feature's store or scripts, except as types", () => {
  const crossings = files.flatMap((file) => {
    const own = feature(file);
    if (own === null || file.endsWith(`${own}/services.ts`)) return [];
    return allImports(file)
      .filter(({ target, typeOnly }) => !typeOnly && isStoreOrScripts(target))
      .filter(({ target }) => feature(target) !== null && feature(target) !== own)
      .map(({ target }) => `${rel(file)} → ${rel(target)}`);
  });
  expect(crossings).toEqual([]);
});

test(`no file of logic under lib/ is longer than ${MAX_LINES} lines`, () => {
  const long = files
    .filter((file) => !(feature(file) === null && TABLES.has(relative(lib, file))))
    .map((file) => ({ file: rel(file), lines: readFileSync(file, 'utf8').split('\n').length }))
    .filter(({ lines }) => lines > MAX_LINES);
  expect(long).toEqual([]);
});
