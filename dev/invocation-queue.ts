import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface InvocationQueueOptions {
  /** Where serverless offline listens, e.g. `http://127.0.0.1:40123`. */
  target: string;
  /** At most this many requests are with serverless offline at once; the rest wait, first come first served. */
  maxConcurrent: number;
  port: number;
  host: string;
}

export interface InvocationQueue {
  port: number;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so they are not forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * The local stack's front door (`npm start`): a pass-through HTTP proxy to serverless offline that
 * lets at most `maxConcurrent` requests in at a time and queues the others.
 *
 * Why: serverless offline starts a new worker thread for every request that finds no idle one, so
 * a cold burst of 60 requests starts 60 threads, each booting Node, importing its bundle and
 * initialising `fetch` — seconds of CPU that, on a 2-core machine, stretch every request past the
 * datastore timeout (503) and the Lambda timeout (which serverless offline answers with status 200
 * and an error body). In AWS each instance has its own CPU, so those deadlines measure the
 * datastore and the function only. Queued here, a burst is served by a few warm workers instead
 * and the waiting happens before the invocation, outside both deadlines.
 */
export async function startInvocationQueue(options: InvocationQueueOptions): Promise<InvocationQueue> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  let active = 0;
  const waiting: (() => void)[] = [];
  const admit = (): Promise<void> => {
    if (active < options.maxConcurrent) {
      active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const leave = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };

  const server = createServer((req, res) => {
    void admit().then(async () => {
      try {
        // A client that gave up while queued costs no invocation.
        if (!res.destroyed) await forward(req, res, target, agent);
      } finally {
        leave();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/** The client's IPv4 loopback address to connect from, when the target is on IPv4 loopback too. */
function loopbackSource(remote: string | undefined, targetHost: string): { localAddress?: string } {
  const address = remote?.replace(/^::ffff:/, '');
  const loopback = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
  return address && loopback.test(address) && loopback.test(targetHost) ? { localAddress: address } : {};
}

/** Sends one request through and its answer back; resolves once serverless offline has answered in full. */
function forward(req: IncomingMessage, res: ServerResponse, target: URL, agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers),
        agent,
        // API Gateway gives a function the connecting address (requestContext.http.sourceIp); so
        // does serverless offline, from the socket — here, this proxy's. Connecting from the
        // client's own loopback address (127.0.0.7 stays 127.0.0.7) keeps per-client limits and
        // back-offs real locally, with no header that production code would have to trust.
        ...loopbackSource(req.socket.remoteAddress, target.hostname),
      },
      (answer) => {
        const headers: string[] = [];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) {
          const name = answer.rawHeaders[i] as string;
          if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, answer.rawHeaders[i + 1] as string);
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
        answer.pipe(res);
        answer.once('end', resolve);
        // A client that hangs up must not leave the answer unread: its slot frees once it ends.
        res.once('close', () => answer.resume());
        answer.once('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    upstream.once('error', (error) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`serverless offline did not answer: ${error.message}\n`);
      } else {
        res.destroy();
      }
      resolve();
    });
    req.pipe(upstream);
  });
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}
