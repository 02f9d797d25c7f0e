import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import ts from 'typescript';

/** The repository root (this file runs as dist/tools/<name>.js). */
export const ROOT = join(__dirname, '../..');
/** Scratch output of the bench (floor bundles, probe inputs), under the ignored dist/. */
export const SCRATCH = join(ROOT, 'dist/bench');

const ARGON2 = '@node-rs/argon2';

interface MetaImport {
  path: string;
  kind: string;
  external?: boolean;
  original?: string;
}
interface Metafile {
  inputs: Record<string, { bytes: number; imports: MetaImport[] }>;
  outputs: Record<
    string,
    { bytes: number; imports: MetaImport[]; inputs: Record<string, { bytesInOutput: number }> }
  >;
}

/** What went into one function's bundle. */
export interface Bundle {
  fn: string;
  path: string;
  bytes: number;
  /** The bundle loads the Argon2 addon (eagerly or lazily). */
  argon2: boolean;
  /** Bytes of the bundle per package, largest first; `(ours)` is lib/ and functions/. */
  parts: Array<{ name: string; bytes: number }>;
  /** Packages the bundle leaves to `require` at run time (not Node built-ins). */
  externals: string[];
  metafile: Metafile;
}

const packageOf = (input: string): string => {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? '(ours)';
};

const isThirdParty = (i: MetaImport): boolean =>
  i.path.includes('node_modules/') ||
  (i.external === true && !i.path.startsWith('node:') && !i.path.startsWith('.'));

/** Where the bench keeps its own copy of the build: dist/bench/functions/<fn>/index.js and dist/bench/meta/<fn>.json. */
const SNAPSHOT = { functions: join(SCRATCH, 'functions'), meta: join(SCRATCH, 'meta') };

/** The functions the build bundles: every functions/*.ts. */
const functionNames = (): string[] =>
  readdirSync(join(ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();

/**
 * Copies the built bundles and their metafiles into dist/bench/, so that a rebuild elsewhere in
 * the tree (the build empties dist/functions first) cannot pull a bundle away mid-run. A copy
 * that finds a file missing waits for the rebuild in progress and starts over.
 */
export async function snapshotBundles(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(SCRATCH, { recursive: true, force: true });
      for (const fn of functionNames()) {
        mkdirSync(SNAPSHOT.meta, { recursive: true });
        // The whole folder: a bundle may read a file shipped beside it (openapi.json).
        cpSync(join(ROOT, 'dist/functions', fn), join(SNAPSHOT.functions, fn), { recursive: true });
        copyFileSync(join(ROOT, 'dist/meta', `${fn}.json`), join(SNAPSHOT.meta, `${fn}.json`));
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 20) throw error;
      await sleep(500);
    }
  }
}

/** The bundles of the snapshot (see `snapshotBundles`), with what went into each. */
export function readBundles(): Bundle[] {
  return functionNames().map((fn) => {
    const metafile = JSON.parse(readFileSync(join(SNAPSHOT.meta, `${fn}.json`), 'utf8')) as Metafile;
    const outputs = Object.values(metafile.outputs);
    const imports = outputs.flatMap((o) => o.imports);
    const parts = new Map<string, number>();
    for (const output of outputs) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        parts.set(packageOf(input), (parts.get(packageOf(input)) ?? 0) + bytesInOutput);
      }
    }
    const path = join(SNAPSHOT.functions, fn, 'index.js');
    return {
      fn,
      path,
      bytes: statSync(path).size,
      argon2: imports.some((i) => i.path === ARGON2),
      parts: [...parts].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes),
      externals: [...new Set(imports.filter((i) => i.external && isThirdParty(i)).map((i) => i.path))],
      metafile,
    };
  });
}

/** The platform binary of the Argon2 addon installed here (shipped beside the bundles, not in them). */
export function nativeAddon(): { file: string; bytes: number } | null {
  const scope = join(ROOT, 'node_modules/@node-rs');
  if (!existsSync(scope)) return null;
  for (const dir of readdirSync(scope).filter((d) => d.startsWith('argon2-'))) {
    const file = readdirSync(join(scope, dir)).find((f) => f.endsWith('.node'));
    if (file) return { file: `@node-rs/${dir}/${file}`, bytes: statSync(join(scope, dir, file)).size };
  }
  return null;
}

/**
 * The third-party bindings our own sources in the bundle import eagerly (import statements,
 * not the lazy `import()` of Argon2), as `specifier → names`. Namespace imports (`* as z`) are
 * reduced to the members used, as the bundler does. `''` stands for a bare side-effect import.
 */
function thirdPartyBindings(metafile: Metafile): Map<string, Set<string>> {
  const bindings = new Map<string, Set<string>>();
  const add = (spec: string, name: string) => {
    if (!bindings.has(spec)) bindings.set(spec, new Set());
    bindings.get(spec)?.add(name);
  };
  // Inputs the bundler read but tree-shook away entirely (bytesInOutput 0) are not in the bundle.
  const inOutput = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      inOutput.set(input, (inOutput.get(input) ?? 0) + bytesInOutput);
      const name = packageOf(input);
      inOutput.set(`package:${name}`, (inOutput.get(`package:${name}`) ?? 0) + bytesInOutput);
    }
  }
  const kept = (i: MetaImport) =>
    i.external === true ? true : (inOutput.get(`package:${packageOf(i.path)}`) ?? 0) > 0;
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    if (input.includes('node_modules/') || !/\.(?:[cm]?[jt]s|tsx|jsx)$/.test(input)) continue;
    if ((inOutput.get(input) ?? 0) === 0) continue;
    const specs = new Set(
      imports
        .filter((i) => isThirdParty(i) && i.kind !== 'dynamic-import' && kept(i))
        .map((i) => i.original ?? i.path),
    );
    if (specs.size === 0) continue;
    const source = ts.createSourceFile(
      input,
      readFileSync(join(ROOT, input), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const spec = statement.moduleSpecifier.text;
      if (!specs.has(spec)) continue;
      const clause = statement.importClause;
      if (!clause) {
        add(spec, '');
        continue;
      }
      if (clause.isTypeOnly) continue;
      if (clause.name) add(spec, 'default');
      const named = clause.namedBindings;
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          if (!element.isTypeOnly) add(spec, (element.propertyName ?? element.name).text);
        }
      } else if (named && ts.isNamespaceImport(named)) {
        const namespace = named.name.text;
        const visit = (node: ts.Node): void => {
          if (
            ts.isPropertyAccessExpression(node) &&
            ts.isIdentifier(node.expression) &&
            node.expression.text === namespace
          ) {
            add(spec, node.name.text);
          }
          ts.forEachChild(node, visit);
        };
        visit(source);
      }
    }
  }
  return bindings;
}

/** The entry of a floor bundle: it imports exactly those bindings and keeps them alive, nothing else. */
export function floorEntry(bundle: Bundle): string {
  const lines: string[] = [];
  const kept: string[] = [];
  for (const [spec, names] of [...thirdPartyBindings(bundle.metafile)].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const named: string[] = [];
    for (const name of [...names].sort()) {
      const local = `b${kept.length}`;
      if (name === '') lines.push(`import ${JSON.stringify(spec)};`);
      else if (name === 'default') {
        lines.push(`import ${local} from ${JSON.stringify(spec)};`);
        kept.push(local);
      } else {
        named.push(`${name} as ${local}`);
        kept.push(local);
      }
    }
    if (named.length > 0) lines.push(`import { ${named.join(', ')} } from ${JSON.stringify(spec)};`);
  }
  lines.push(`export const kept = [${kept.join(', ')}];`);
  return `${lines.join('\n')}\n`;
}

/**
 * Builds a floor bundle with the function build's own options (build/lambda-bundle.mjs: minified
 * CommonJS for node20, the same externals, the same cut-down @upstash/redis client) into
 * dist/bench/, once per distinct entry. Returns its path.
 */
export async function buildFloor(entry: string, externals: string[]): Promise<string> {
  const id = createHash('sha256').update(entry).update(externals.join(',')).digest('hex').slice(0, 10);
  const outfile = join(SCRATCH, `floor-${id}.js`);
  const { lambdaBundleOptions } = (await import(
    pathToFileURL(join(ROOT, 'build/lambda-bundle.mjs')).href
  )) as {
    lambdaBundleOptions: BuildOptions;
  };
  await build({
    ...lambdaBundleOptions,
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'floor-entry.js', loader: 'js' },
    outfile,
    external: externals,
  });
  return outfile;
}
