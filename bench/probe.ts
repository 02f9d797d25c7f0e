// A child process of `npm run bench`, kept free of every import but Node's own so that it
// measures nothing but the bundle it loads:
//   node dist/tools/probe.js import <bundle.js>           → {"importMs": …}
//   node dist/tools/probe.js split <bundle.js>            → {"compileMs": …, "runMs": …}
//   node dist/tools/probe.js serve <bundle.js> <requests.json> → {"maxRssKiB": …, "served": …}
//   node dist/tools/probe.js first <bundle.js> <requests.json> <i> → {"importMs": …, "firstResponseMs": …}
// `first` is a cold first response: the clock runs from before the `require` (the bundle builds
// its services there) to the end of the one request, event <i> of the file, read beforehand.
// `split` loads the bundle as Node's CommonJS loader does, in two timed steps: V8 compiling the
// file's source (`vm.compileFunction`, the loader's wrapper), then running it (its modules'
// top-level code and the services built at import; Node built-ins it requires load in this step).
// `serve` swallows the bundle's log lines; the other modes leave them on stdout, as Lambda does, so
// that a first request that logs pays for what printing costs there (making `process.stdout`, if
// the bundle prints through it, is ≈5 ms). The result is the last line written.
import { readFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileFunction } from 'node:vm';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode?: number }>;

const load = createRequire(__filename);

function lambdaContext(i: number) {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
    memoryLimitInMB: '1024',
    awsRequestId: `bench-${process.pid}-${i}`,
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
  };
}

async function main(): Promise<void> {
  const [mode, bundle, requestsFile, index] = process.argv.slice(2);
  if (!bundle || !['import', 'split', 'serve', 'first'].includes(mode ?? ''))
    throw new Error('usage: probe.js import|split|serve|first <bundle> [requests.json [index]]');
  if (mode === 'split') {
    process.stdout.write = () => true;
    const file = resolve(bundle);
    const source = readFileSync(file, 'utf8');
    const start = performance.now();
    const wrapper = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], {
      filename: file,
    });
    const compiled = performance.now();
    const module = { exports: {} };
    wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
    const ran = performance.now();
    writeSync(1, `${JSON.stringify({ compileMs: compiled - start, runMs: ran - compiled })}\n`);
    return;
  }
  if (mode !== 'import' && !requestsFile) throw new Error(`${mode} needs a requests file`);
  const { events, status } = requestsFile
    ? (JSON.parse(await readFile(requestsFile, 'utf8')) as { events: unknown[]; status: number })
    : { events: [], status: 0 };
  if (mode === 'serve') process.stdout.write = () => true;
  const start = performance.now();
  const { handler } = load(bundle) as { handler?: Handler };
  const importMs = performance.now() - start;
  if (mode === 'import') {
    writeSync(1, `${JSON.stringify({ importMs })}\n`);
    return;
  }
  if (!handler) throw new Error(`${bundle} exports no \`handler\``);
  if (mode === 'first') {
    const event = events[Number(index)];
    if (event === undefined) throw new Error(`no event ${index} in ${requestsFile}`);
    const result = await handler(event, lambdaContext(0));
    const firstResponseMs = performance.now() - start;
    if (result.statusCode !== status) throw new Error(`expected ${status}, got ${result.statusCode}`);
    writeSync(1, `${JSON.stringify({ importMs, firstResponseMs })}\n`);
    return;
  }
  let served = 0;
  for (const event of events) {
    const result = await handler(event, lambdaContext(served));
    if (result.statusCode !== status) throw new Error(`expected ${status}, got ${result.statusCode}`);
    served += 1;
  }
  writeSync(1, `${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, served })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    writeSync(2, `probe: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
