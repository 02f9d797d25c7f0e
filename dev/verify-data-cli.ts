// `npm run verify-data`: checks the data invariants (I1–I6, E1, O1–O3: lib/data-model/) under KEY_PREFIX
// in the datastore named by UPSTASH_REDIS_REST_URL/TOKEN. Read-only. Exit codes: 0 consistent,
// 1 problems found, 2 unusable configuration or datastore unreachable.
import { Redis } from '@upstash/redis';
import { verifyData } from './verify-data';

const SHOWN_PROBLEMS = 100;

async function main(): Promise<number> {
  const url = process.env.UPSTASH_REDIS_REST_URL;
  const token = process.env.UPSTASH_REDIS_REST_TOKEN;
  const prefix = process.env.KEY_PREFIX || 'acct:';
  if (!url || !token) {
    console.error(
      'verify-data: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (and KEY_PREFIX, default acct:)',
    );
    return 2;
  }
  const redis = new Redis({
    url,
    token,
    enableTelemetry: false,
    automaticDeserialization: false,
    retry: false,
    signal: () => AbortSignal.timeout(10_000),
  });
  let report: Awaited<ReturnType<typeof verifyData>>;
  try {
    report = await verifyData(redis, prefix);
  } catch (error) {
    console.error(`verify-data: cannot read the datastore: ${(error as Error).message ?? String(error)}`);
    return 2;
  }
  const { checked, problems } = report;
  console.log(`verify-data: prefix ${JSON.stringify(prefix)} at ${url}`);
  console.table(checked);
  if (problems.length === 0) {
    console.log('verify-data: no broken invariants');
    return 0;
  }
  console.log(`verify-data: ${problems.length} broken invariant(s):`);
  for (const problem of problems.slice(0, SHOWN_PROBLEMS)) console.log(`  - ${problem}`);
  if (problems.length > SHOWN_PROBLEMS) console.log(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
  return 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
