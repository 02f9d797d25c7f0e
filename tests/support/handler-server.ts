import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '../../lib/http';
import { httpEvent, lambdaContext } from './app';

/**
 * A loopback HTTP server in front of handlers, as API Gateway is in front of the functions: for
 * clients that speak HTTP (oauth4webapi, the JWT authorizer emulator). Routes are added after it
 * listens, so the services behind them can be built with its URL (API_URL).
 */
export interface HandlerServer {
  url: string;
  /** Serves `GET path` (or another method) with `handler`. */
  route(method: string, path: string, handler: HttpHandler): void;
  /** Every request it received, in order: method and path. */
  requests: string[];
  close(): Promise<void>;
}

export async function startHandlerServer(): Promise<HandlerServer> {
  const routes = new Map<string, HttpHandler>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const key = `${req.method} ${path}`;
    requests.push(key);
    const handler = routes.get(key);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"code":"not_found"}');
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([name, value]) =>
        typeof value === 'string' ? [[name, value]] : [],
      ),
    );
    handler(httpEvent({ method: req.method ?? 'GET', path, headers }), lambdaContext()).then(
      (result) => {
        // Middy leaves some headers undefined (Server): API Gateway drops them, so does this.
        const headers = Object.fromEntries(
          Object.entries(result.headers ?? {}).flatMap(([name, value]) =>
            value === undefined ? [] : [[name, String(value)]],
          ),
        );
        res.writeHead(result.statusCode ?? 200, headers).end(result.body ?? '');
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    route: (method, path, handler) => routes.set(`${method} ${path}`, handler),
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
