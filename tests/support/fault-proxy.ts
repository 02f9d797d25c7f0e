import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does with the next requests. */
export type FaultMode =
  /** Forward to the datastore and relay its answer. */
  | { kind: 'pass' }
  /** Accept the connection, read the request, then drop the socket without an answer. */
  | { kind: 'refuse' }
  /** Stop listening and drop every open connection: new connections are refused (ECONNREFUSED). */
  | { kind: 'unreachable' }
  /** Hold the request for `delayMs`, then forward it only if the client is still waiting. */
  | { kind: 'slow'; delayMs: number }
  /** Forward at once (the command runs), then hold the answer for `delayMs`: the reply is lost. */
  | { kind: 'slow-reply'; delayMs: number }
  /** Answer with this status and body instead of forwarding (an HTML 502 page, a 500, …). */
  | { kind: 'error'; status: number; body: string; contentType?: string }
  /** Forward the next `passes` requests, then behave as `then` (a failure in the middle of a flow). */
  | { kind: 'fail-after'; passes: number; then: Exclude<FaultMode, { kind: 'fail-after' | 'unreachable' }> };

export interface FaultProxy {
  /** Base URL to use as `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** Switches the mode for requests from now on; `unreachable` ↔ anything else closes/reopens the port. */
  setMode(mode: FaultMode): Promise<void>;
  /** Requests received (and, of those, forwarded to the datastore) since the last `setMode`. */
  counts(): { received: number; forwarded: number };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * A fault-injecting HTTP proxy in front of the run's REST datastore, on the loopback interface.
 * Starts in `pass` mode. Every timer it sets is cleared by `close()`, so nothing outlives a test.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  let received = 0;
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const forward = async (req: IncomingMessage, body: Buffer) => {
    forwarded += 1;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers[name] = value;
    }
    const response = await fetch(new URL(req.url ?? '/', target), {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  };

  const send = (res: ServerResponse, status: number, text: string, type: string | null) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, {
      'content-type': type ?? 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    received += 1;
    let clientGone = false;
    res.on('close', () => {
      clientGone = !res.writableFinished;
    });
    const body = await readBody(req);
    let current = mode;
    if (current.kind === 'fail-after') current = received <= current.passes ? { kind: 'pass' } : current.then;
    switch (current.kind) {
      case 'pass':
      case 'unreachable': {
        const answer = await forward(req, body);
        send(res, answer.status, answer.text, answer.type);
        return;
      }
      case 'refuse':
        req.socket.destroy();
        return;
      case 'slow': {
        await wait(current.delayMs);
        if (clientGone) return;
        const answer = await forward(req, body);
        send(res, answer.status, answer.text, answer.type);
        return;
      }
      case 'slow-reply': {
        const answer = await forward(req, body);
        await wait(current.delayMs);
        send(res, answer.status, answer.text, answer.type);
        return;
      }
      case 'error':
        send(res, current.status, current.body, current.contentType ?? 'application/json');
        return;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  await listen(0);
  const { port } = server.address() as AddressInfo;
  let listening = true;

  return {
    url: `http://127.0.0.1:${port}`,
    async setMode(next) {
      received = 0;
      forwarded = 0;
      if (next.kind === 'unreachable' && listening) {
        listening = false;
        await stopListening();
      } else if (next.kind !== 'unreachable' && !listening) {
        await listen(port);
        listening = true;
      }
      mode = next;
    },
    counts: () => ({ received, forwarded }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (listening) {
        listening = false;
        await stopListening();
      }
    },
  };
}
