// The client address every per-client limit uses (docs/security.md, "Client addresses").

import { clientAddress } from '../../lib/http';
import { httpEvent } from '../support/app';

const viaEdge = (headers: Record<string, string>) =>
  httpEvent({ method: 'POST', path: '/sessions', ip: '130.176.0.1', headers });

test.each<[string, Record<string, string>, string, string]>([
  [
    'no edge: sourceIp, whatever the headers say',
    { 'cloudfront-viewer-address': '203.0.113.9:443' },
    '',
    '130.176.0.1',
  ],
  [
    'edge, right secret: the viewer address (IPv4)',
    { 'x-origin-verify': 's3cret', 'cloudfront-viewer-address': '203.0.113.9:50123' },
    's3cret',
    '203.0.113.9',
  ],
  [
    'edge, right secret: the viewer address (IPv6)',
    { 'x-origin-verify': 's3cret', 'cloudfront-viewer-address': '2001:db8::7:50123' },
    's3cret',
    '2001:db8::7',
  ],
  [
    'edge, no secret header (a direct call): sourceIp',
    { 'cloudfront-viewer-address': '203.0.113.9:443' },
    's3cret',
    '130.176.0.1',
  ],
  [
    'edge, wrong secret: sourceIp',
    { 'x-origin-verify': 'guess!', 'cloudfront-viewer-address': '203.0.113.9:443' },
    's3cret',
    '130.176.0.1',
  ],
  [
    'edge, right secret, garbage address: sourceIp',
    { 'x-origin-verify': 's3cret', 'cloudfront-viewer-address': 'not an address' },
    's3cret',
    '130.176.0.1',
  ],
])('%s', (_, headers, secret, expected) => {
  expect(clientAddress(viaEdge(headers), secret)).toBe(expected);
});
