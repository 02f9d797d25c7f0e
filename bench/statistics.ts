/** Summary statistics of timing samples (milliseconds). */
export interface Summary {
  n: number;
  medianMs: number;
  p95Ms: number;
}

/** The value at quantile `q` (0–1) by the nearest-rank method; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Median and 95th percentile of the samples. */
export function summarise(samples: readonly number[]): Summary {
  return { n: samples.length, medianMs: quantile(samples, 0.5), p95Ms: quantile(samples, 0.95) };
}
