import { randomBytes } from 'node:crypto';
import type { HttpHandler } from '../../lib/http';
import { createMailLinks } from '../../lib/recovery/store';
import type { Services } from '../../lib/services';
import { invoke } from './app';

/** The password every test account is registered with: long, uncommon, passes the policy. */
export const PASSWORD = 'correct horse battery staple';

/** An address nobody has registered: `<tag>.<random>@example.com`. */
export const uniqueEmail = (tag = 'user'): string => `${tag}.${randomBytes(6).toString('hex')}@example.com`;

/** The `session` member of a register or log-in answer. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  expiresIn: number;
  refreshExpiresIn: number;
  tokenType: 'Bearer';
}

/** A fresh account as register answered it; `token` is its session's access token. */
export interface Account {
  id: string;
  email: string;
  password: string;
  // biome-ignore lint/suspicious/noExplicitAny: the public user, asserted on by the tests
  user: any;
  session: Session;
  token: string;
}

export interface SignUpOptions {
  /** The address's tag (`<tag>.<random>@example.com`); ignored when `email` is given. */
  tag?: string;
  email?: string;
  name?: string;
  password?: string;
  userAgent?: string;
  ip?: string;
}

/** Registers a fresh account through the real register handler; fails the test unless 201. */
export async function signUp(register: HttpHandler, options: SignUpOptions = {}): Promise<Account> {
  const email = options.email ?? uniqueEmail(options.tag);
  const password = options.password ?? PASSWORD;
  const res = await invoke(register, {
    method: 'POST',
    path: '/users',
    body: { name: options.name ?? 'Test User', email, password },
    headers: options.userAgent !== undefined ? { 'user-agent': options.userAgent } : {},
    ...(options.ip ? { ip: options.ip } : {}),
  });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return {
    id: res.body.user.id,
    email: res.body.user.email,
    password,
    user: res.body.user,
    session: res.body.session,
    token: res.body.session.accessToken,
  };
}

/** Logs in through the real log-in handler; fails the test unless 200. */
export async function logIn(
  login: HttpHandler,
  email: string,
  options: { password?: string; userAgent?: string; ip?: string } = {},
): Promise<Session> {
  const res = await invoke(login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password: options.password ?? PASSWORD },
    headers: options.userAgent !== undefined ? { 'user-agent': options.userAgent } : {},
    ...(options.ip ? { ip: options.ip } : {}),
  });
  if (res.status !== 200) throw new Error(`log-in answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.session;
}

/**
 * Registers an account and proves its address the way its owner would: the verification link the
 * mail function issues, followed through the real handler. Second factors and passkeys need it.
 */
export async function signUpVerified(
  handlers: { register: HttpHandler; verifyEmail: HttpHandler },
  services: Pick<Services, 'datastore' | 'keys' | 'config' | 'now'>,
  options: SignUpOptions = {},
): Promise<Account> {
  const account = await signUp(handlers.register, options);
  await proveEmail(handlers.verifyEmail, services, account.id);
  return { ...account, user: { ...account.user, emailVerified: true } };
}

/** Follows a fresh verification link of `userId` through the real handler; fails the test unless 200. */
export async function proveEmail(
  verifyEmail: HttpHandler,
  services: Pick<Services, 'datastore' | 'keys' | 'config' | 'now'>,
  userId: string,
): Promise<void> {
  const links = createMailLinks(services.datastore, services.keys, services.config.mail);
  const link = await links.issueVerification(userId, services.now());
  if (!link) throw new Error('no verification link could be issued');
  const res = await invoke(verifyEmail, {
    method: 'POST',
    path: '/email-verification',
    body: { token: link.token },
  });
  if (res.status !== 200) throw new Error(`verification answered ${res.status}: ${JSON.stringify(res.body)}`);
}
