import { execFileSync } from 'node:child_process';
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
}

const PROBE = join(__dirname, 'probe.js');

/** Time to require `bundle` in a new process: the probe measures around the `require` call alone. */
function importOnce(bundle: string, env: NodeJS.ProcessEnv): number {
  const output = execFileSync(process.execPath, [PROBE, 'import', bundle], { env, encoding: 'utf8' });
  return (JSON.parse(output.trim().split('\n').pop() ?? '{}') as { importMs: number }).importMs;
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
  const record = (path: string, ms: number) => samples.set(path, [...(samples.get(path) ?? []), ms]);
  const distinctFloors = [...new Set(floors.values())];
  for (let round = 0; round < runs; round++) {
    for (const bundle of bundles) record(bundle.path, importOnce(bundle.path, env));
    for (const floor of distinctFloors) record(floor, importOnce(floor, env));
  }
  return bundles.map((bundle) => {
    const medianMs = quantile(samples.get(bundle.path) ?? [], 0.5);
    const floorMs = quantile(samples.get(floors.get(bundle.fn) ?? '') ?? [], 0.5);
    return {
      fn: bundle.fn,
      runs,
      medianMs,
      floorMs,
      ratio: medianMs / floorMs,
      floorEntry: entries.get(bundle.fn) ?? '',
    };
  });
}
