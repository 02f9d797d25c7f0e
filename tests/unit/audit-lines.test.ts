import { auditLine, auditLines } from '../../dev/audit-lines';

const logged = (fields: Record<string, unknown>) =>
  JSON.stringify({
    level: 'INFO',
    message: 'audit',
    timestamp: '2026-12-04T09:30:12.345Z',
    service: 'account-service',
    ...fields,
  });

test('an audit event becomes one compact line: event, user, IP, outcome', () => {
  expect(
    auditLine(
      logged({ event: 'login_failed', userId: 'usr_1', ip: '203.0.113.9', reason: 'wrong_password' }),
    ),
  ).toBe('  09:30:12 audit login_failed           user=usr_1 ip=203.0.113.9 reason=wrong_password');
  expect(
    auditLine(
      logged({ event: 'rate_limited', ip: '203.0.113.9', limit: 'login_account', retryAfterSeconds: 8 }),
    ),
  ).toBe('  09:30:12 audit rate_limited           ip=203.0.113.9 limit=login_account retryAfterSeconds=8');
});

test('other lines are not audit events', () => {
  expect(auditLine('POST /sessions (λ: login)')).toBeNull();
  expect(auditLine(JSON.stringify({ message: 'request failed', error: 'audit' }))).toBeNull();
  expect(auditLine('{"message":"audit" broken')).toBeNull();
});

test('lines cut across chunks are put back together', () => {
  const printed: string[] = [];
  const feed = auditLines((line) => printed.push(line));
  const text = `noise\n${logged({ event: 'logged_in', userId: 'usr_2' })}\nmore noise\n`;
  feed(text.slice(0, 30));
  feed(text.slice(30));
  expect(printed).toEqual(['  09:30:12 audit logged_in              user=usr_2']);
});
