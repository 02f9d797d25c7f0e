import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The local twin of Lambda's queue for asynchronous invocations (`InvocationType: Event`). The
 * request functions' signed Lambda `Invoke` (lib/aws.ts, `AWS_ENDPOINT_URL_LAMBDA`) reaches it: it answers 202 at
 * once, as Lambda does, and runs the queued events through serverless offline's Lambda API one at
 * a time and synchronously, retrying a failed run twice, as Lambda does.
 *
 * Why not serverless offline's own asynchronous invocations: it runs every event at once in a
 * worker thread of its own (a burst of 60 registrations starts 60 mail functions on 2 cores, which
 * then time out), and it ends its whole process when an asynchronously invoked function throws.
 */
export interface EventQueue {
  url: string;
  /** Resolves once every event queued so far has run. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

const INVOCATIONS = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const ATTEMPTS = 3;

export async function startEventQueue(options: { lambdaUrl: string; host?: string }): Promise<EventQueue> {
  const pending: Array<{ name: string; payload: Buffer }> = [];
  let running: Promise<void> | null = null;
  // Once closed, queued events are dropped quietly: the API they would run on is going away.
  let closed = false;

  const runOne = async (name: string, payload: Buffer) => {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (closed) return;
      try {
        const response = await fetch(`${options.lambdaUrl}/2015-03-31/functions/${name}/invocations`, {
          method: 'POST',
          headers: { 'x-amz-invocation-type': 'RequestResponse', 'content-type': 'application/json' },
          body: new Uint8Array(payload),
        });
        await response.arrayBuffer();
        if (response.ok && !response.headers.get('x-amz-function-error')) return;
      } catch {
        // serverless offline unreachable: try again, as Lambda would
      }
    }
    console.error(
      JSON.stringify({ level: 'ERROR', message: 'event failed 3 times; dropped', function: name }),
    );
  };
  const drain = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) await runOne(next.name, next.payload);
    running = null;
  };

  const server: Server = createServer((request, response) => {
    const match = INVOCATIONS.exec(new URL(request.url ?? '/', 'http://queue').pathname);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || !match?.[1] || request.headers['x-amz-invocation-type'] !== 'Event') {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            message: 'only asynchronous invocations (InvocationType: Event) are queued here',
          }),
        );
        return;
      }
      pending.push({ name: decodeURIComponent(match[1]), payload: Buffer.concat(chunks) });
      running ??= drain();
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    drained: async () => {
      while (running) await running;
    },
    close: () =>
      new Promise((resolve) => {
        closed = true;
        pending.length = 0;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
