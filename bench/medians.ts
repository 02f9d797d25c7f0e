// `npm run bench:medians`: `npm run bench` three times (BENCH_RUNS to change), each on a quiet
// machine — it waits, up to BENCH_QUIET_WAIT_SECONDS (default 600), for the 1-minute load average
// to fall below 1.5 before each run — then writes bench/results.json with every timing the
// median of the runs' figures (each run's own figure is a median already). Each run's file is kept
// in dist/bench-runs/run-<i>.json. Counts, sizes and answers are the last run's: they do not vary.
//   node dist/tools/medians.js                 run and merge
//   node dist/tools/medians.js a.json b.json…  merge runs made before
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root (this file runs as dist/tools/medians.js). */
const ROOT = join(__dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const QUIET_LOAD = 1.5;
const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_SECONDS ?? 600) * 1000;
const RESULTS = join(ROOT, 'bench/results.json');
const KEPT = join(ROOT, 'dist/bench-runs');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Fields that are facts of the run, not timings: the last run's value is kept. */
const FACTS = new Set([
  'runs',
  'n',
  'bytes',
  'floorBytes',
  'roundTrips',
  'requests',
  'memorySizeMb',
  'cpus',
  'coldRuns',
  'firstResponseRuns',
  'warmSamples',
  'memoryRequests',
]);
const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A row's identity within its table: what it measures (route, function, target), else its place. */
const identity = (row: Json, index: number): string =>
  isObject(row)
    ? String(row.target ?? (row.route !== undefined ? `${row.route}|${row.fn ?? ''}` : (row.fn ?? index)))
    : String(index);

/** `last` with each timing (a number not in FACTS) replaced by the median of the same figure in `all`. */
function merge(last: Json, all: Json[], key = ''): Json {
  if (typeof last === 'number' && !FACTS.has(key)) {
    const values = all.filter((v): v is number => typeof v === 'number');
    return values.length > 0 ? median(values) : last;
  }
  if (Array.isArray(last)) {
    return last.map((row, i) => {
      const id = identity(row, i);
      const same = all.map((other) =>
        Array.isArray(other) ? other.find((o, j) => identity(o, j) === id) : undefined,
      );
      return merge(
        row,
        same.filter((v): v is Json => v !== undefined),
        key,
      );
    });
  }
  if (isObject(last)) {
    const merged: JsonObject = {};
    for (const [name, value] of Object.entries(last)) {
      merged[name] = merge(
        value,
        all
          .map((other) => (isObject(other) ? other[name] : undefined))
          .filter((v): v is Json => v !== undefined),
        name,
      );
    }
    return merged;
  }
  return last;
}

/** The merged results: medians, targets re-judged on them, and when and under what load each run ran. */
export function mergeRuns(runs: JsonObject[]): JsonObject {
  const last = runs[runs.length - 1];
  if (!last) throw new Error('no runs to merge');
  const merged = merge(last, runs) as JsonObject;
  const targets = Array.isArray(merged.targets) ? merged.targets : [];
  merged.targets = targets.map((target) => {
    if (!isObject(target)) return target;
    // A target is a ratio within a bound written in its text (`within 1.3×`); where a run judged
    // more than the ratio (enumeration: the same answers), a run that failed with its ratio within
    // the bound failed on that, and so does the merged target.
    const bound = Number(/within ([\d.]+)×/.exec(String(target.target))?.[1] ?? Number.NaN);
    const failedOtherwise = runs.some((run) =>
      (Array.isArray(run.targets) ? run.targets : []).some(
        (t) =>
          isObject(t) &&
          t.target === target.target &&
          t.met === false &&
          typeof t.ratio === 'number' &&
          t.ratio <= bound,
      ),
    );
    const ratio = typeof target.ratio === 'number' ? target.ratio : null;
    return { ...target, met: ratio !== null && ratio <= bound && !failedOtherwise };
  });
  merged.runs = runs.map((run) => ({
    date: run.date ?? null,
    loadAverage: run.loadAverage ?? null,
    seconds: run.seconds ?? null,
  }));
  merged.merged = `every timing is the median of ${runs.length} runs' figures (bench/medians.ts)`;
  return merged;
}

async function waitForQuiet(): Promise<void> {
  const until = Date.now() + QUIET_WAIT_MS;
  while ((loadavg()[0] ?? 0) >= QUIET_LOAD && Date.now() < until) await sleep(10_000);
  if ((loadavg()[0] ?? 0) >= QUIET_LOAD)
    console.log(`bench:medians: load ${loadavg()[0]?.toFixed(2)} after waiting; running anyway (recorded)`);
}

async function main(): Promise<void> {
  const given = process.argv.slice(2);
  const files: string[] = [];
  if (given.length > 0) files.push(...given);
  else {
    mkdirSync(KEPT, { recursive: true });
    for (let i = 1; i <= RUNS; i++) {
      await waitForQuiet();
      console.log(
        `bench:medians: run ${i} of ${RUNS}, load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
      execFileSync(process.execPath, [join(__dirname, 'run.js')], { stdio: 'inherit', env: process.env });
      const kept = join(KEPT, `run-${i}.json`);
      copyFileSync(RESULTS, kept);
      files.push(kept);
    }
  }
  const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as JsonObject);
  writeFileSync(RESULTS, `${JSON.stringify(mergeRuns(runs), null, 2)}\n`);
  console.log(`bench:medians: ${RESULTS} holds the medians of ${runs.length} runs`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
