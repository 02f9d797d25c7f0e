// The demo page's static server (local only): serves dev/demo/ plus a generated config.js that
// tells the page where the API is, with a Content-Security-Policy that lets the page talk to that
// API and nothing else.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';

export interface DemoServerOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** Where the page sends its API calls, e.g. http://localhost:3000. */
  apiUrl: string;
  /** The page's files; default: dev/demo/ (found from the sources or from the dist/tools bundle). */
  dir?: string;
}

export interface DemoServer {
  /** The page's address, e.g. http://127.0.0.1:5173. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Browser code the page loads from npm, served as published (no build step): the QR code of the
 * TOTP enrollment is drawn by `uqr` (an ES module with no dependencies); passkey ceremonies go
 * through `@simplewebauthn/browser`.
 */
const VENDOR: Record<string, () => string> = {
  '/vendor/uqr.js': () => join(dirname(createRequire(__filename).resolve('uqr')), 'index.mjs'),
  // A classic script (UMD: the global SimpleWebAuthnBrowser); the package ships no single-file ESM.
  '/vendor/simplewebauthn-browser.js': () =>
    join(
      dirname(createRequire(__filename).resolve('@simplewebauthn/browser')),
      '../dist/bundle/index.umd.min.js',
    ),
};

/** Paths of the links the API mails (APP_URL + path + #token=…), answered with the page. */
const LINK_PAGES = ['/verify-email', '/reset-password', '/sign-in', '/oauth-callback'];

function defaultDir(): string {
  // From source (tests, tsx) the page sits next to this file; `npm start` runs the esbuild
  // bundle in dist/tools/, two levels below the project root.
  const candidates = [join(__dirname, 'demo'), join(__dirname, '../../dev/demo')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? (candidates[0] as string);
}

/** The CSP for every response: scripts and styles from this server only, fetches to the API only. */
export function contentSecurityPolicy(apiOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${apiOrigin}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the demo page on `host:port` (GET and HEAD only). `/config.js` is generated from
 * `apiUrl`; every other path must name a file in `dir` (no directory listings, no way out of it).
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const dir = resolve(options.dir ?? defaultDir());
  const host = options.host ?? '127.0.0.1';
  const apiOrigin = new URL(options.apiUrl).origin;
  const configJs = `export const config = Object.freeze(${JSON.stringify({ apiUrl: options.apiUrl })});\n`;
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy(apiOrigin),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // A dev server: always serve the files as they are on disk now.
    'Cache-Control': 'no-store',
  };

  const reply = (
    response: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    head: boolean,
  ) => {
    response.writeHead(status, {
      ...headers,
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(head ? undefined : body);
  };

  const server = createServer(async (request, response) => {
    const head = request.method === 'HEAD';
    if (request.method !== 'GET' && !head) {
      response.setHeader('Allow', 'GET, HEAD');
      reply(response, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', false);
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://demo').pathname);
    } catch {
      reply(response, 400, 'text/plain; charset=utf-8', 'Bad request\n', head);
      return;
    }
    if (pathname === '/config.js') {
      reply(response, 200, CONTENT_TYPES['.js'] as string, configJs, head);
      return;
    }
    const vendored = VENDOR[pathname];
    if (vendored) {
      reply(response, 200, CONTENT_TYPES['.js'] as string, await readFile(vendored()), head);
      return;
    }
    // The pages a mailed link opens are the demo page itself (the token is in the fragment).
    const page = pathname === '/' || LINK_PAGES.includes(pathname) ? '/index.html' : pathname;
    const file = resolve(dir, `.${page}`);
    const type = CONTENT_TYPES[extname(file)];
    // Path traversal: the resolved file must stay inside dir.
    if (!type || !file.startsWith(dir + sep) || pathname.includes('\0')) {
      reply(response, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
      return;
    }
    try {
      reply(response, 200, type, await readFile(file), head);
    } catch {
      reply(response, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
    }
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
