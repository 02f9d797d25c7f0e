// bench/medians.ts: three bench runs merged into one bench/results.json.
import { mergeRuns } from '../../bench/medians';

const run = (date: string, ms: number, ratio: number, sameAnswers = true) => ({
  date,
  loadAverage: [0.5, 0.5, 0.5],
  seconds: 600,
  coldRuns: 15,
  bundles: [{ fn: 'login', bytes: 150_000 }],
  coldStarts: [
    { fn: 'login', runs: 15, medianMs: ms, floorMs: 20, ratio },
    { fn: 'jwks', runs: 15, medianMs: ms / 2, floorMs: 10, ratio },
  ],
  warmLatency: [
    { route: 'POST /sessions', fn: 'login', handler: { n: 200, medianMs: ms }, floor: null, ratio: null },
  ],
  targets: [
    { target: 'cold import of login within 1.3× floor', ratio, met: ratio <= 1.3 },
    {
      target: 'POST /password-resets: known and unknown email medians within 1.1×, same answers',
      ratio: 1.05,
      met: sameAnswers,
    },
  ],
});

test('every timing is the median of the runs, matched by function or route', () => {
  const merged = mergeRuns([run('a', 30, 1.5), run('b', 10, 1.0), run('c', 20, 1.2)]);
  const [login, jwks] = merged.coldStarts as Array<{ medianMs: number; ratio: number; runs: number }>;
  expect(login).toMatchObject({ medianMs: 20, ratio: 1.2, runs: 15 });
  expect(jwks).toMatchObject({ medianMs: 10, ratio: 1.2 });
  expect(merged.warmLatency).toEqual([
    { route: 'POST /sessions', fn: 'login', handler: { n: 200, medianMs: 20 }, floor: null, ratio: null },
  ]);
  // Facts are not timings: kept as the last run has them.
  expect(merged.bundles).toEqual([{ fn: 'login', bytes: 150_000 }]);
  expect(merged.coldRuns).toBe(15);
  expect(merged.runs).toEqual([
    { date: 'a', loadAverage: [0.5, 0.5, 0.5], seconds: 600 },
    { date: 'b', loadAverage: [0.5, 0.5, 0.5], seconds: 600 },
    { date: 'c', loadAverage: [0.5, 0.5, 0.5], seconds: 600 },
  ]);
});

test('targets are judged again on the medians, and a run that failed on its answers fails the target', () => {
  const merged = mergeRuns([run('a', 30, 1.5), run('b', 10, 1.0, false), run('c', 20, 1.2)]);
  expect(merged.targets).toEqual([
    { target: 'cold import of login within 1.3× floor', ratio: 1.2, met: true },
    {
      target: 'POST /password-resets: known and unknown email medians within 1.1×, same answers',
      ratio: 1.05,
      met: false,
    },
  ]);
  const slow = mergeRuns([run('a', 30, 1.5), run('b', 10, 1.4), run('c', 20, 1.2)]);
  expect((slow.targets as Array<{ met: boolean }>)[0]?.met).toBe(false);
});
