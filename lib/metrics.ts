// The service's CloudWatch metrics, written as Embedded Metric Format documents (EMF: one JSON line
// on stdout per data point, which CloudWatch Logs turns into a metric): no API call and no wait on
// the request path, the same format Powertools Metrics writes. The Powertools client itself was
// measured at +11 KiB per bundle, which pushes light functions past their 150 KiB budget
// (tests/budgets/bundle-size.test.ts); this writer is a few hundred bytes (docs/decisions.md).
// serverless.yml's alarms read FailedSignIns and DatastoreErrors from this namespace.

import { writeLine } from './stdio';

/** The CloudWatch namespace (serverless.yml `custom.metricNamespace`; a test keeps them equal). */
export const METRIC_NAMESPACE = 'AccountService';
/** The `service` dimension every metric carries. */
export const METRIC_SERVICE = 'account-service';

export type MetricName =
  | 'SignIns'
  | 'FailedSignIns'
  | 'SignUps'
  | 'RateLimited'
  | 'RefreshReuse'
  | 'MailFailures'
  | 'DatastoreErrors';

/** Where EMF lines go: stdout inside Lambda (and serverless offline's workers), nowhere elsewhere (tests, tools). */
export const metricSink: { write: (line: string) => void } = {
  write: (line) => {
    if (process.env.AWS_LAMBDA_FUNCTION_NAME) writeLine(1, line);
  },
};

/** Counts one `name`, with `dimensions` besides `service`. */
export function countMetric(
  name: MetricName,
  dimensions: Record<string, string> = {},
  now = Date.now(),
): void {
  const all = { service: METRIC_SERVICE, ...dimensions };
  metricSink.write(
    JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [Object.keys(all)],
            Metrics: [{ Name: name, Unit: 'Count' }],
          },
        ],
      },
      ...all,
      [name]: 1,
    }),
  );
}
