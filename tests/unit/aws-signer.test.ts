// lib/aws.ts signs AWS requests itself (Signature Version 4 on node:crypto, no SDK, no aws4fetch).
// Its signatures must be the ones the AWS SDK's own signer (@smithy/signature-v4) computes for the
// same requests: a generated set of requests (methods, ARN paths, odd characters, query strings,
// header whitespace, with and without a session token, several dates, regions and services), plus
// the AWS test suite's `get-vanilla` vector. Any difference is a request AWS would refuse.
import { SignatureV4 } from '@smithy/signature-v4';
import { type AwsCredentials, signV4 } from '../../lib/aws';
// The SDK signer's hash, as the loopback stand-ins give it.
import { Sha256 } from '../support/aws';

interface Case {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  credentials: AwsCredentials;
  region: string;
  service: string;
  date: Date;
}

async function sdkAuthorization(c: Case): Promise<string> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of c.url.searchParams) {
    const seen = query[k];
    query[k] = seen === undefined ? v : [seen, v].flat();
  }
  const signed = await new SignatureV4({
    credentials: c.credentials,
    region: c.region,
    service: c.service,
    sha256: Sha256,
    applyChecksum: false,
  }).sign(
    {
      method: c.method,
      protocol: c.url.protocol,
      hostname: c.url.hostname,
      ...(c.url.port ? { port: Number(c.url.port) } : {}),
      path: c.url.pathname,
      query,
      headers: { ...c.headers, host: c.url.host },
      body: c.body,
    },
    { signingDate: c.date },
  );
  return String(signed.headers.authorization);
}

const ours = (c: Case): Record<string, string> =>
  signV4(
    { method: c.method, url: c.url, headers: c.headers, body: c.body },
    { credentials: c.credentials, region: c.region, service: c.service, date: c.date },
  );

/** A small seeded generator: the same cases on every run. */
function* cases(count: number): Generator<Case> {
  let seed = 0x2f6e2b1;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed >>> 12; // an LCG's low bits repeat with a short period
  };
  const pick = <T>(list: readonly T[]): T => list[next() % list.length] as T;
  const names = [
    'mail-sender',
    'arn:aws:lambda:eu-west-1:123456789012:function:claims-hook:live',
    "odd name!'()*~",
    'spaces and/slash',
    'ünïcödé',
  ];
  const bodies = [
    '',
    '{}',
    '{"Names":["/app/prod/JWT_SECRET"],"WithDecryption":true}',
    'Action=GetCallerIdentity&Version=2011-06-15',
    'ü 🔑',
  ];
  for (let i = 0; i < count; i++) {
    const host = pick([
      'https://ssm.eu-west-1.amazonaws.com',
      'http://127.0.0.1:4010',
      'https://lambda.us-east-1.amazonaws.com',
    ]);
    const url = new URL(`${host}/2015-03-31/functions/${encodeURIComponent(pick(names))}/invocations`);
    if (next() % 3 === 0) url.pathname = '/';
    if (next() % 3 === 0) {
      // Names that are prefixes of others (`a`, `a b`; `Action`, `ActionX`), repeated names.
      url.searchParams.append(pick(['Action', 'b', 'a b', 'x*', 'a']), pick(['1', 'v a l', "it's", '']));
      url.searchParams.append(
        pick(['Action', 'Version', 'ü', 'a', 'ActionX']),
        pick(['2', '~tilde', '%25', '1']),
      );
      if (next() % 2) url.searchParams.append(pick(['a', 'a b', 'ActionX']), pick(['0', 'z']));
    }
    const headers: Record<string, string> = {
      'Content-Type': pick(['application/json', 'application/x-amz-json-1.1']),
    };
    if (next() % 2) headers['X-Amz-Target'] = 'AmazonSSM.GetParameters';
    if (next() % 2) headers['x-amz-invocation-type'] = pick(['Event', 'RequestResponse']);
    if (next() % 4 === 0) headers['X-Custom'] = '  spaced   out  value ';
    yield {
      method: pick(['GET', 'POST']),
      url,
      headers,
      body: pick(bodies),
      credentials: {
        accessKeyId: pick(['AKIDEXAMPLE', 'ASIAXYZ']),
        secretAccessKey: pick(['wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'not-a-real-secret']),
        ...(next() % 2 ? { sessionToken: pick(['token-of-the-role', 'IQoJb3JpZ2luX2VjE+/=']) } : {}),
      },
      region: pick(['eu-west-1', 'us-east-1', 'ap-southeast-2']),
      service: pick(['ssm', 'lambda', 'sts']),
      date: new Date(
        Date.UTC(
          2015 + (next() % 12),
          next() % 12,
          1 + (next() % 28),
          next() % 24,
          next() % 60,
          next() % 60,
          next() % 1000,
        ),
      ),
    };
  }
}

describe('signV4 (lib/aws.ts) against the AWS SDK signer', () => {
  it('signs the AWS test suite’s get-vanilla request as published', () => {
    const headers = signV4(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '' },
      {
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        },
        region: 'us-east-1',
        service: 'service',
        date: new Date('2015-08-30T12:36:00Z'),
      },
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('computes the SDK’s Authorization header for 300 generated requests', async () => {
    let withToken = 0;
    let withQuery = 0;
    for (const c of cases(300)) {
      const sent = ours(c);
      expect({ url: c.url.href, authorization: sent.authorization }).toEqual({
        url: c.url.href,
        authorization: await sdkAuthorization(c),
      });
      if (c.credentials.sessionToken) {
        withToken++;
        expect(sent['x-amz-security-token']).toBe(c.credentials.sessionToken);
        expect(sent.authorization).toContain('x-amz-security-token');
      } else expect(sent).not.toHaveProperty('x-amz-security-token');
      if (c.url.search) withQuery++;
    }
    // The generator did reach the branches it is there for.
    expect(withToken).toBeGreaterThan(50);
    expect(withQuery).toBeGreaterThan(30);
  });

  it('sends the given headers unchanged, and signs a change to any of them differently', () => {
    const c = cases(1).next().value as Case;
    const sent = ours(c);
    for (const [name, value] of Object.entries(c.headers)) expect(sent[name]).toBe(value);
    const changed = ours({ ...c, headers: { ...c.headers, 'Content-Type': 'text/plain' } });
    expect(changed.authorization).not.toBe(sent.authorization);
    expect(ours({ ...c, body: `${c.body} ` }).authorization).not.toBe(sent.authorization);
  });
});
