import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Bundle, buildFloor, floorEntry } from './bundles';
import { ssmReadAtImport } from './first-response';
import { quantile } from './statistics';

export interface ColdStart {
  fn: string;
  runs: number;
  /** Median time to `require` the bundle in a fresh Node process (it builds its services at import). */
  medianMs: number;
  /** The same for the function's floor bundle: only its third-party imports, nothing of ours. */
  floorMs: number;
  ratio: number;
  /** The floor bundle's generated entry. */
  floorEntry: string;
  /**
   * Where the time goes (bench/probe.ts `split`, medians of as many processes): V8 compiling each
   * bundle's source, then running it; and the bytes each holds. What the function adds over its
   * floor is its own code (compiled, then run: module top levels and the services built at import).
   */
  /**
   * The cold import as Lambda's init phase runs it in production (bench/run.ts's production
   * environment: secrets in the SSM stand-in, role credentials): the bundle's modules load and its
   * SSM read starts; its services are built when SSM answers, in the first request (measured by
   * the cold first response). The floor loads the same third-party bindings and starts the same
   * SSM read (bench/first-response.ts `ssmReadAtImport`).
   */
  production: { medianMs: number; floorMs: number; ratio: number } | null;
  split: {
    compileMs: number;
    runMs: number;
    floorCompileMs: number;
    floorRunMs: number;
    bytes: number;
    floorBytes: number;
  };
}

const PROBE = join(__dirname, 'probe.js');

/** Time to require `bundle` in a new process: the probe measures around the `require` call alone. */
function importOnce(bundle: string, env: NodeJS.ProcessEnv): number {
  const output = execFileSync(process.execPath, [PROBE, 'import', bundle], { env, encoding: 'utf8' });
  return (JSON.parse(output.trim().split('\n').pop() ?? '{}') as { importMs: number }).importMs;
}

/** The same bundle loaded in two timed steps: compile, then run (bench/probe.ts `split`). */
function splitOnce(bundle: string, env: NodeJS.ProcessEnv): { compileMs: number; runMs: number } {
  const output = execFileSync(process.execPath, [PROBE, 'split', bundle], { env, encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as { compileMs: number; runMs: number };
}

/**
 * Cold import of every function against its floor, `runs` fresh processes each. Rounds are
 * interleaved (every bundle and every floor once per round) so that load from other work on the
 * machine spreads over all of them alike.
 */
export async function measureColdStarts(
  bundles: Bundle[],
  env: NodeJS.ProcessEnv,
  runs: number,
  production?: { env: NodeJS.ProcessEnv; floorParameters: [string, string] },
): Promise<ColdStart[]> {
  const entries = new Map(bundles.map((b) => [b.fn, floorEntry(b)]));
  const floors = new Map<string, string>();
  const productionFloors = new Map<string, string>();
  for (const bundle of bundles) {
    const entry = entries.get(bundle.fn) ?? '';
    floors.set(bundle.fn, await buildFloor(entry, bundle.externals));
    if (production) {
      const withSsm = [entry, 'const s = JSON.parse(process.env.BENCH_FLOOR);', ...ssmReadAtImport()].join(
        '\n',
      );
      productionFloors.set(bundle.fn, await buildFloor(`${withSsm}\n`, bundle.externals));
    }
  }
  const floorEnv = production
    ? { ...production.env, BENCH_FLOOR: JSON.stringify({ ssm: production.floorParameters }) }
    : undefined;
  const samples = new Map<string, number[]>();
  const record = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  const distinctFloors = [...new Set(floors.values())];
  const both = (path: string) => {
    record(path, importOnce(path, env));
    const { compileMs, runMs } = splitOnce(path, env);
    record(`${path}#compile`, compileMs);
    record(`${path}#run`, runMs);
  };
  const distinctProductionFloors = [...new Set(productionFloors.values())];
  for (let round = 0; round < runs; round++) {
    for (const bundle of bundles) both(bundle.path);
    for (const floor of distinctFloors) both(floor);
    if (production && floorEnv) {
      for (const bundle of bundles)
        record(`${bundle.path}#production`, importOnce(bundle.path, production.env));
      for (const floor of distinctProductionFloors) record(floor, importOnce(floor, floorEnv));
    }
  }
  const median = (key: string) => quantile(samples.get(key) ?? [], 0.5);
  return bundles.map((bundle) => {
    const floor = floors.get(bundle.fn) ?? '';
    const medianMs = median(bundle.path);
    const floorMs = median(floor);
    return {
      fn: bundle.fn,
      runs,
      medianMs,
      floorMs,
      ratio: medianMs / floorMs,
      floorEntry: entries.get(bundle.fn) ?? '',
      production: production
        ? {
            medianMs: median(`${bundle.path}#production`),
            floorMs: median(productionFloors.get(bundle.fn) ?? ''),
            ratio: median(`${bundle.path}#production`) / median(productionFloors.get(bundle.fn) ?? ''),
          }
        : null,
      split: {
        compileMs: median(`${bundle.path}#compile`),
        runMs: median(`${bundle.path}#run`),
        floorCompileMs: median(`${floor}#compile`),
        floorRunMs: median(`${floor}#run`),
        bytes: statSync(bundle.path).size,
        floorBytes: statSync(floor).size,
      },
    };
  });
}
