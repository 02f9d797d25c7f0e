import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import * as changePassword from '../../functions/change-password';
import * as deleteAccount from '../../functions/delete-account';
import * as login from '../../functions/login';
import * as logout from '../../functions/logout';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import * as revokeAllSessions from '../../functions/revoke-all-sessions';
import * as revokeSession from '../../functions/revoke-session';
import type { AuditEvent } from '../../lib/audit';
import type { HttpHandler } from '../../lib/http';
import { hashRefreshToken } from '../../lib/tokens';
import { PASSWORD } from '../support/accounts';
import { type EventInput, httpEvent, lambdaContext, type Response, testServices } from '../support/app';

// Everything the process writes, captured for the whole file: the logger writes JSON lines to
// stdout (info) and stderr (errors) through its own Console.
let output = '';
const capture = (chunk: string | Uint8Array) => {
  output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return true;
};
beforeAll(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});
afterAll(() => jest.restoreAllMocks());

// A frozen clock keeps the account back-off (1 s) deterministic; TTLs in Redis still run on real time.
const NOW = Date.now();
const logger = new Logger({ serviceName: 'audit-test', logLevel: 'INFO' });
const services = testServices({ RATE_LIMIT_REGISTER_PER_IP: '1/3600' }, { logger, now: () => NOW });
const h = {
  register: register.createHandler(services),
  login: login.createHandler(services),
  refresh: refreshSession.createHandler(services),
  password: changePassword.createHandler(services),
  revoke: revokeSession.createHandler(services),
  revokeAll: revokeAllSessions.createHandler(services),
  logout: logout.createHandler(services),
  remove: deleteAccount.createHandler(services),
};

const IP = '192.0.2.44';
const NEW_PASSWORD = 'an even longer passphrase';
const WRONG = 'definitely not the password';

/** Powertools' own keys on every line; an audit line may add only `event` and the AuditFields. */
const POWERTOOLS_KEYS = [
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
];
const AUDIT_KEYS = [
  'event',
  'userId',
  'sessionId',
  'ip',
  'reason',
  'limit',
  'revokedSessions',
  'retryAfterSeconds',
  'mail',
];

type LogLine = Record<string, unknown>;
interface Step {
  status: number;
  body: Response['body'];
  requestId: string;
  lines: LogLine[];
  audit: LogLine[];
}

/** Every secret the flow handles; none may appear in any log line. */
const secrets = new Set<string>([PASSWORD, NEW_PASSWORD, WRONG]);
const emails = new Set<string>();
const remember = (body: Response['body']) => {
  const session = body?.session;
  if (session?.accessToken) secrets.add(session.accessToken);
  if (session?.refreshToken) {
    secrets.add(session.refreshToken);
    secrets.add(hashRefreshToken(session.refreshToken));
  }
};

// The logger writes one JSON object per line; anything else on the streams (Jest's own notices,
// which it writes to stderr directly) is not the service's output.
const parseLines = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

/** Invokes a handler and returns its response with the log lines it wrote and its Lambda request id. */
async function step(handler: HttpHandler, input: EventInput): Promise<Step> {
  const from = output.length;
  const context = lambdaContext();
  const result = await handler(httpEvent({ ip: IP, ...input }), context);
  const lines = parseLines(output.slice(from));
  const body = result.body ? JSON.parse(result.body) : undefined;
  remember(body);
  for (const line of lines) expect(line.function_request_id).toBe(context.awsRequestId);
  return {
    status: result.statusCode ?? 200,
    body,
    requestId: context.awsRequestId,
    lines,
    audit: lines.filter((line) => line.message === 'audit'),
  };
}

/**
 * Asserts that a step wrote exactly one audit line, for `event`, with these fields. A field given
 * as null must be absent: Powertools drops null and undefined members from the JSON line.
 */
function expectAudit(s: Step, event: AuditEvent, fields: Record<string, unknown>): void {
  // A step that queues mail also says so (`mail_requested`, asserted where it is expected).
  const lines = s.audit.filter((l) => (l.event === 'mail_requested') === (event === 'mail_requested'));
  expect(lines).toHaveLength(1);
  const [line] = lines;
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null));
  expect(line).toMatchObject({ level: 'INFO', message: 'audit', service: 'audit-test', event, ...present });
  for (const [key, value] of Object.entries(fields)) if (value === null) expect(line).not.toHaveProperty(key);
  expect(line?.function_request_id).toBe(s.requestId);
  for (const key of Object.keys(line ?? {})) expect([...POWERTOOLS_KEYS, ...AUDIT_KEYS]).toContain(key);
}

const email = () => {
  const value = `audit.${randomBytes(6).toString('hex')}@example.com`;
  emails.add(value);
  return value;
};

test('a full flow writes one audit line per authentication event, and never a secret', async () => {
  // Keep the 1/3600 register window from ending halfway through the flow.
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 50));

  // register
  const address = email();
  const reg = await step(h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'Audit Subject', email: address, password: PASSWORD },
  });
  expect(reg.status).toBe(201);
  const userId: string = reg.body.user.id;
  const s1 = reg.body.session;
  expectAudit(reg, 'registered', { userId, sessionId: s1.sessionId, ip: IP });
  expectAudit(reg, 'mail_requested', { userId, mail: 'verify-email' });

  const logIn = (who: string, password: string) =>
    step(h.login, { method: 'POST', path: '/sessions', body: { email: who, password } });

  // log-in failures: wrong password, unknown email
  const wrong = await logIn(address, WRONG);
  expect(wrong.status).toBe(401);
  expectAudit(wrong, 'login_failed', { userId, ip: IP, reason: 'wrong_password' });
  const unknown = await logIn(email(), PASSWORD);
  expect(unknown.status).toBe(401);
  expectAudit(unknown, 'login_failed', { userId: null, ip: IP, reason: 'unknown_email' });

  // log-in
  const li = await logIn(address, PASSWORD);
  expect(li.status).toBe(200);
  const s2 = li.body.session;
  expectAudit(li, 'logged_in', { userId, sessionId: s2.sessionId, ip: IP });

  // refresh: a routine rotation is not an audit event
  const refresh = (refreshToken: string) =>
    step(h.refresh, { method: 'POST', path: '/sessions/refresh', body: { refreshToken } });
  const rotated = await refresh(s2.refreshToken);
  expect(rotated.status).toBe(200);
  expect(rotated.lines).toEqual([]);

  // refresh reuse
  const reuse = await refresh(s2.refreshToken);
  expect(reuse.status).toBe(401);
  // (within the grace window, on this fixed clock: logged, nothing revoked)
  expectAudit(reuse, 'refresh_reuse_detected', {
    userId,
    sessionId: s2.sessionId,
    ip: IP,
    revokedSessions: 0,
  });

  // password change, with three other sessions to revoke (s2 survived the raced reuse)
  await logIn(address, PASSWORD);
  await logIn(address, PASSWORD);
  const changed = await step(h.password, {
    method: 'PUT',
    path: '/users/me/password',
    token: s1.accessToken,
    body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
  });
  expect(changed.status).toBe(204);
  expectAudit(changed, 'password_changed', { userId, sessionId: s1.sessionId, revokedSessions: 3 });

  // revoke one session, then all
  const s5 = (await logIn(address, NEW_PASSWORD)).body.session;
  const s6 = (await logIn(address, NEW_PASSWORD)).body.session;
  const one = await step(h.revoke, {
    method: 'DELETE',
    path: `/sessions/${s5.sessionId}`,
    pathParameters: { id: s5.sessionId },
    token: s1.accessToken,
  });
  expect(one.status).toBe(204);
  expectAudit(one, 'sessions_revoked', { userId, sessionId: s1.sessionId, revokedSessions: 1 });
  const all = await step(h.revokeAll, { method: 'DELETE', path: '/sessions', token: s6.accessToken });
  expect(all.status).toBe(204);
  expectAudit(all, 'sessions_revoked', { userId, sessionId: s6.sessionId, revokedSessions: 2 });

  // log out
  const s7 = (await logIn(address, NEW_PASSWORD)).body.session;
  const out = await step(h.logout, { method: 'DELETE', path: '/sessions/current', token: s7.accessToken });
  expect(out.status).toBe(204);
  expectAudit(out, 'logged_out', { userId, sessionId: s7.sessionId });

  // rate-limited: per IP (register) and per account (back-off after 5 failures)
  const limited = await step(h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'Second Account', email: email(), password: PASSWORD },
  });
  expect(limited.status).toBe(429);
  expectAudit(limited, 'rate_limited', {
    ip: IP,
    limit: 'register_ip',
    retryAfterSeconds: Number(limited.body.detail.match(/\d+/)[0]),
  });
  for (let n = 1; n <= 5; n++) expect((await logIn(address, WRONG)).status).toBe(401);
  const backedOff = await logIn(address, NEW_PASSWORD);
  expect(backedOff.status).toBe(429);
  // (a locked account is refused before any lookup, so the line names no user)
  expectAudit(backedOff, 'rate_limited', {
    userId: null,
    ip: IP,
    limit: 'login_account',
    retryAfterSeconds: 1,
  });

  // delete the account (a fresh services clock would be needed to log in again: use a live session)
  const victim = email();
  const other = await step(h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'To Be Deleted', email: victim, password: PASSWORD },
    ip: '192.0.2.45',
  });
  expect(other.status).toBe(201);
  const removed = await step(h.remove, {
    method: 'DELETE',
    path: '/users/me',
    token: other.body.session.accessToken,
    body: { password: PASSWORD },
  });
  expect(removed.status).toBe(204);
  expectAudit(removed, 'account_deleted', { userId: other.body.user.id, revokedSessions: 1 });

  // Assess the whole output: every line is JSON from the logger, and no secret is in any of them.
  const everything = parseLines(output);
  expect(everything.length).toBeGreaterThanOrEqual(20);
  for (const line of everything) expect(line.service).toBe('audit-test');
  expect(secrets.size).toBeGreaterThan(10);
  for (const secret of secrets) expect(output).not.toContain(secret);
  for (const address of emails) expect(output.toLowerCase()).not.toContain(address);
  expect(output).not.toContain('$argon2');
  expect(output).not.toMatch(/passwordHash|refreshHash/);
});
