/** Requests served per data endpoint since start-up or the last reset. */
export interface DatastoreCounts {
  command: number;
  pipeline: number;
  multiExec: number;
  total: number;
}

/** The data endpoints; `/__stats` itself is never counted. */
export type DataEndpoint = 'command' | 'pipeline' | 'multiExec';

/**
 * Counts REST round trips per endpoint, so tests and benchmarks can assert how many
 * datastore hops one API request costs (each one is a network hop in production).
 */
export class RequestCounts {
  #counts: DatastoreCounts = zeroCounts();

  /** Records one request to `endpoint`. */
  record(endpoint: DataEndpoint): void {
    this.#counts[endpoint] += 1;
    this.#counts.total += 1;
  }

  /** Returns a snapshot; later requests do not change it. */
  snapshot(): DatastoreCounts {
    return { ...this.#counts };
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.#counts = zeroCounts();
  }
}

function zeroCounts(): DatastoreCounts {
  return { command: 0, pipeline: 0, multiExec: 0, total: 0 };
}
