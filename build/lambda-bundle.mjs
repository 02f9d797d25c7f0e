// The esbuild options every Lambda bundle is built with (esbuild.config.mjs), shared with the
// floor bundles of `npm run bench` (bench/bundles.ts), so that a floor holds the third-party
// clients exactly as the functions ship them.
import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import luaCompact from './lua-compact.cjs';

const { LUA_FILE, compactLuaTemplates } = luaCompact;

/** Packages left to `require` at run time: the native Argon2 addon ships beside the bundle. */
export const NATIVE_EXTERNALS = ['@node-rs/argon2'];

/**
 * The AWS SDK v3, which Lambda's Node.js runtime provides: left to `require` there, never bundled.
 * Only the mail function loads it (SES v2); the request functions call SSM and Lambda without it
 * (lib/aws.ts), since loading a client took 140–250 ms of a cold start.
 */
export const RUNTIME_EXTERNALS = ['@aws-sdk/*'];

/**
 * The members of @upstash/redis's `Redis` class that the functions use: lib/datastore.ts runs
 * every operation as a script, EVALSHA then EVAL on NOSCRIPT (a read-only script EVALSHA_RO, then
 * EVAL_RO: `evalshaRo`/`evalRo`), the rate limits too (lib/fixed-window.ts). It hashes the scripts
 * itself, so the client's `createScript` (and its WebCrypto SHA-1) is left out. tests/budgets/redis-subset.test.ts also runs
 * @upstash/ratelimit's fixed window through the subset, which the limits used until version 3. The
 * constructor calls `addTelemetry` (a no-op with telemetry disabled).
 */
export const REDIS_MEMBERS_KEPT = [
  'constructor',
  'client',
  'opts',
  'enableTelemetry',
  'enableAutoPipelining',
  'addTelemetry',
  'eval',
  'evalsha',
  'evalRo',
  'evalshaRo',
];

/**
 * @upstash/redis defines each of its ≈190 commands as an instance field of `Redis`
 * (`get = (...args) => new GetCommand(…)`), so a bundler must keep every command class, and
 * every client instance allocates all the closures: ≈66 KiB of each bundle and time at each
 * cold start for commands the service never sends. This plugin drops the other members from the
 * class as it is loaded into a bundle, after which esbuild tree-shakes the command classes they
 * referenced. The installed package is not modified; tests and tools use it whole.
 *
 * The build fails if the class or any kept member is missing (a client upgrade that renames
 * them), and calling a dropped member fails loudly (`… is not a function`), never silently; the
 * e2e suite runs every endpoint through these bundles.
 */
export const upstashRedisSubset = {
  name: 'upstash-redis-subset',
  setup(build) {
    build.onLoad({ filter: /[\\/]@upstash[\\/]redis[\\/]chunk-[^\\/]+\.mjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const source = ts.createSourceFile(args.path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
      const classes = source.statements
        .filter(ts.isVariableStatement)
        .flatMap((statement) => statement.declarationList.declarations)
        .filter((d) => ts.isIdentifier(d.name) && d.name.text === 'Redis' && d.initializer)
        .map((d) => d.initializer)
        .filter((initializer) => ts.isClassExpression(initializer));
      // Other chunks of the package (if a release splits them) hold no `Redis` class: left whole.
      if (classes.length === 0) return undefined;
      if (classes.length > 1) throw new Error(`${args.path}: more than one Redis class`);
      const memberName = (member) =>
        ts.isConstructorDeclaration(member)
          ? 'constructor'
          : member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))
            ? member.name.text
            : undefined;
      const members = classes[0].members;
      const missing = REDIS_MEMBERS_KEPT.filter((name) => !members.some((m) => memberName(m) === name));
      if (missing.length > 0)
        throw new Error(
          `@upstash/redis: Redis no longer has ${missing.join(', ')} (build/lambda-bundle.mjs)`,
        );
      let contents = text;
      for (const member of [...members].reverse()) {
        if (REDIS_MEMBERS_KEPT.includes(memberName(member))) continue;
        contents = contents.slice(0, member.getFullStart()) + contents.slice(member.end);
      }
      return { contents, loader: 'js' };
    });
  },
};

/**
 * The configuration table (lib/config-variables.json) ships without what only the README and
 * serverless.yml read: the descriptions (≈6 KiB of every bundle) and the `serverless` values
 * (build/serverless-environment.cjs). A `"secret": false` is left out too (≈0.8 KiB): the functions
 * read `secret` as a truth value (lib/parameters.ts), so an absent member means the same.
 * `oauth: false` leaves out social log-in's rows (`OAUTH_*`, ≈1.1 KiB) as well, for the functions
 * that never read them (`readsOAuthConfig`): nothing else parses them, and no SSM parameter is
 * fetched for them there.
 */
export const configTable = ({ oauth }) => ({
  name: `config-table${oauth ? '' : '-without-oauth'}`,
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]config-variables\.json$/ }, async (args) => {
      const table = JSON.parse(await readFile(args.path, 'utf8'));
      for (const [name, entry] of Object.entries(table)) {
        if (!oauth && name.startsWith('OAUTH_')) {
          delete table[name];
          continue;
        }
        delete entry.description;
        delete entry.serverless;
        if (entry.secret === false) delete entry.secret;
      }
      return { contents: JSON.stringify(table), loader: 'json' };
    });
  },
});
export const configTableWithoutDescriptions = configTable({ oauth: true });

/**
 * Whether the function whose entry is `entryPath` reads social log-in's configuration: it builds
 * the social log-in services (lib/oauth/services.ts), the only caller of `parseConfig` and so of
 * lib/oauth/config.ts. tests/budgets/bundle-size.test.ts checks the answer against what each bundle
 * holds.
 */
export const readsOAuthConfig = async (entryPath) =>
  /from '\.\.\/lib\/oauth\/services'/.test(await readFile(entryPath, 'utf8'));

/**
 * The Lua of the scripts (lib/lua.ts, lib/lua-helpers.ts, each feature's scripts and the few other
 * files that hold Lua: build/lua-compact.cjs `LUA_FILE`) ships compacted: no comment, and no blank
 * between two tokens that read as two without it. Every token, string included, is kept as
 * written (tests/unit/lua-compact.test.ts), and the functions tests run the scripts compacted the
 * same way against the datastore (tests/support/lua-transform.cjs).
 */
export const compactLua = {
  name: 'compact-lua',
  setup(build) {
    build.onLoad({ filter: LUA_FILE }, async (args) => ({
      contents: compactLuaTemplates(await readFile(args.path, 'utf8'), args.path).code,
      loader: 'ts',
    }));
  },
};

/** lib/routes.ts without its summaries (the build fails on one it cannot remove). */
function withoutSummaries(path, text) {
  const contents = text.replace(/\n\s*summary:\s*(['"])(?:\\.|(?!\1)[^\\\n])*\1,/g, '');
  if (/\n\s*summary:\s*['"`\n]/.test(contents))
    throw new Error(`${path}: a summary this plugin cannot remove`);
  return contents;
}

/**
 * The route table (lib/routes.ts) ships without its summaries: they are for OpenAPI, the README and
 * `npm start`'s banner, never read by a function (≈3 KiB of every bundle).
 */
export const routeTableWithoutSummaries = {
  name: 'route-table-without-summaries',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]routes\.ts$/ }, async (args) => ({
      contents: withoutSummaries(args.path, await readFile(args.path, 'utf8')),
      loader: 'ts',
    }));
  },
};

/**
 * Members of a route row that no function reads at run time (lib/http.ts reads the rest): they
 * are for OpenAPI, the README, serverless.yml, the bench and the tests.
 */
export const ROUTE_MEMBERS_DROPPED = [
  'summary',
  'operationId',
  'tag',
  'roundTrips',
  'response',
  'errors',
  'hashing',
];

/**
 * Function `fn`'s bundle holds only its own row of the route table (lib/routes.ts `ROUTES`),
 * without the members in `ROUTE_MEMBERS_DROPPED`: every function looks up its own row
 * (`routeOf('<fn>')`), and the whole table with every row's errors and round trips was ≈9 KiB of
 * every bundle. The catch-all function (`CATCH_ALL.fn`), which answers 404 or 405 from the paths
 * and methods of every route, keeps every row's `method` and `path`. The build fails when the table
 * is not the array literal it expects or holds no row for `fn`; the source file is not modified,
 * so tests and tools see the whole table.
 */
export function routeRowsOf(fn) {
  return {
    name: 'route-rows-of',
    setup(build) {
      build.onLoad({ filter: /[\\/]lib[\\/]routes\.ts$/ }, async (args) => {
        const text = withoutSummaries(args.path, await readFile(args.path, 'utf8'));
        const source = ts.createSourceFile(args.path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
        const fail = (why) => {
          throw new Error(`${args.path}: ${why} (build/lambda-bundle.mjs, routeRowsOf)`);
        };
        const declarations = source.statements
          .filter(ts.isVariableStatement)
          .flatMap((statement) => statement.declarationList.declarations);
        /** The array or object literal under `as const satisfies …`. */
        const literal = (name) => {
          let node = declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === name)?.initializer;
          while (node && (ts.isSatisfiesExpression(node) || ts.isAsExpression(node))) node = node.expression;
          return node ?? fail(`no ${name}`);
        };
        const member = (row, name) =>
          row.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === name);
        const fnOf = (row) => {
          const value = member(row, 'fn')?.initializer;
          return value && ts.isStringLiteral(value) ? value.text : fail('a row without a literal fn');
        };
        const table = literal('ROUTES');
        if (!ts.isArrayLiteralExpression(table)) fail('ROUTES is not an array literal');
        const rows = table.elements.map((row) =>
          ts.isObjectLiteralExpression(row) ? row : fail('a row that is not an object literal'),
        );
        const catchAll = literal('CATCH_ALL');
        if (!ts.isObjectLiteralExpression(catchAll)) fail('CATCH_ALL is not an object literal');
        const keep = (row, names) =>
          `{${row.properties
            .filter((p) =>
              names(
                ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)
                  ? p.name.getText()
                  : fail('a row member that is not a plain property'),
              ),
            )
            .map((p) => p.getText())
            .join(',')}}`;
        const kept =
          fn === fnOf(catchAll)
            ? rows.map((row) => keep(row, (name) => name === 'method' || name === 'path'))
            : rows
                .filter((row) => fnOf(row) === fn)
                .map((row) => keep(row, (name) => !ROUTE_MEMBERS_DROPPED.includes(name)));
        if (kept.length === 0) fail(`no row for ${fn}`);
        const contents = `${text.slice(0, table.getStart())}[${kept.join(',')}]${text.slice(table.end)}`;
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * The @oslojs packages (the passkey verifier's CBOR and COSE readers) declare no `sideEffects`, so
 * esbuild keeps every module their index files re-export for the TypeScript enums they define in
 * IIFEs: the attestation formats' parsers and a pure-JS SHA-2 (≈3.5 KiB) the verifier never calls
 * (lib/passkeys/verifier.ts hashes with node:crypto). Their modules only define functions, classes,
 * constants and those enums, so they are resolved as side-effect free, as their authors could
 * have declared; the passkey e2e and differential tests run through these bundles.
 */
export const oslojsWithoutSideEffects = {
  name: 'oslojs-without-side-effects',
  setup(build) {
    const inOslojs = (path) => /(^|[\\/])node_modules[\\/]@oslojs[\\/]/.test(path);
    // Only bare @oslojs imports and relative ones (from inside the packages) reach the callback.
    build.onResolve({ filter: /^(@oslojs\/|\.)/ }, async (args) => {
      if (args.pluginData?.oslojs) return undefined;
      if (!args.path.startsWith('@oslojs/') && !(inOslojs(args.importer) && args.path.startsWith('.')))
        return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { oslojs: true },
      });
      if (result.errors.length > 0) return { errors: result.errors };
      return { path: result.path, sideEffects: false };
    });
  },
};

/** Options for one function's bundle (minified CommonJS for Lambda's Node runtime); add entry and output. */
export const lambdaBundleOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: [...NATIVE_EXTERNALS, ...RUNTIME_EXTERNALS],
  // @upstash/ratelimit names only its CommonJS build in package.json; the ES module build lets
  // esbuild drop what is not used (the multi-region limiter): 4 KiB. No function bundles it since
  // lib/fixed-window.ts; tests/budgets/redis-subset.test.ts still builds it with these options.
  alias: { '@upstash/ratelimit': '@upstash/ratelimit/dist/index.mjs' },
  plugins: [
    upstashRedisSubset,
    configTableWithoutDescriptions,
    compactLua,
    routeTableWithoutSummaries,
    oslojsWithoutSideEffects,
  ],
  legalComments: 'none',
  logLevel: 'warning',
};
