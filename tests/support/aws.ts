// Loopback stand-ins of the AWS APIs the functions call without the SDK (lib/aws.ts), and the
// check that each request is signed as AWS would accept it: the stand-in re-signs the request with
// the AWS SDK's own Signature V4 signer (@smithy/signature-v4) over the headers the request says
// it signed, and compares the two `Authorization` headers.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

/** The credentials the stand-ins expect (a role's temporary ones: with a session token). */
export const TEST_CREDENTIALS = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
  AWS_SESSION_TOKEN: 'session-token-of-the-role',
};

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Buffer =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 and HMAC-SHA256 as the SDK's signer wants them (its `Checksum` constructor). */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

/** One request as a stand-in saw it, and what the SDK's signer made of it. */
export interface SignedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The request's signature is the one the SDK computes for the same request and date. */
  signatureValid: boolean;
  /** The credential scope the request was signed for: `<date>/<region>/<service>/aws4_request`. */
  scope: string;
}

/** Re-signs `request` with the SDK's signer, for `service`, over the headers it says it signed. */
async function verify(request: IncomingMessage, body: string, service: string): Promise<SignedRequest> {
  const authorization = String(request.headers.authorization ?? '');
  const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const scope = /Credential=[^/]+\/([^,]+)/.exec(authorization)?.[1] ?? '';
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
  const headers: Record<string, string> = {};
  for (const name of signed) headers[name] = String(request.headers[name] ?? '');
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: TEST_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      sessionToken: TEST_CREDENTIALS.AWS_SESSION_TOKEN,
    },
    region: TEST_CREDENTIALS.AWS_REGION,
    service,
    sha256: Sha256,
    // Only S3 sends a payload hash header; the other services sign the body without one.
    applyChecksum: false,
  });
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const expected = await signer.sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers,
      body,
    },
    { signingDate: date },
  );
  return {
    method: request.method ?? '',
    path: url.pathname,
    headers: request.headers,
    body,
    signatureValid: signed.includes('host') && expected.headers.authorization === authorization,
    scope,
  };
}

/** What a stand-in answers: status, headers, body. */
export interface StandInAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A loopback AWS API: every request is recorded (with its signature checked) and answered by `answer`. */
export interface StandIn {
  url: string;
  requests: SignedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a stand-in of one AWS service on 127.0.0.1. `answer` may return `null` to leave the
 * request hanging (an unreachable service that accepted the connection).
 */
export async function startAwsStandIn(
  service: string,
  answer: (request: SignedRequest) => StandInAnswer | null,
): Promise<StandIn> {
  const requests: SignedRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', async () => {
      const seen = await verify(req, text, service);
      requests.push(seen);
      const reply = answer(seen);
      if (reply === null) {
        hanging.push(res);
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
