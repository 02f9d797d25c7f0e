import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Bundle, buildFloor, floorEntry } from './bundles';
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
): Promise<ColdStart[]> {
  const entries = new Map(bundles.map((b) => [b.fn, floorEntry(b)]));
  const floors = new Map<string, string>();
  for (const bundle of bundles) {
    floors.set(bundle.fn, await buildFloor(entries.get(bundle.fn) ?? '', bundle.externals));
  }
  const samples = new Map<string, number[]>();
  const record = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  const distinctFloors = [...new Set(floors.values())];
  const both = (path: string) => {
    record(path, importOnce(path, env));
    const { compileMs, runMs } = splitOnce(path, env);
    record(`${path}#compile`, compileMs);
    record(`${path}#run`, runMs);
  };
  for (let round = 0; round < runs; round++) {
    for (const bundle of bundles) both(bundle.path);
    for (const floor of distinctFloors) both(floor);
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
