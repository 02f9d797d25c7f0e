// The demo page: plain browser JavaScript, no build step. It calls the account API cross-origin,
// exactly as a frontend would, in the API's cookie mode (`Session-Transport: cookie`):
//
// - the refresh token never reaches this script: the API keeps it in an HttpOnly `__Host-refresh`
//   cookie (SameSite=Strict, so the page and the API must be one site: two ports of localhost
//   here, app.example.com and auth.example.com in production), which the browser sends with
//   credentialed requests; any script on the origin could read Web Storage, none can read it;
// - the access token lives in this module's memory only, and a reload gets a new one from the
//   cookie, so a reload keeps the user signed in;
// - tabs renew one at a time (a Web Lock): each tab's refresh spends the cookie the previous one
//   set, so two tabs never present the same cookie and never look like a thief to the API.
import { config } from './config.js';
import { renderSVG } from './vendor/uqr.js';

/** @simplewebauthn/browser, loaded before this module by its own script tag. */
const { startAuthentication, startRegistration } = globalThis.SimpleWebAuthnBrowser;

const apiUrl = config.apiUrl.replace(/\/+$/, '');

/** @type {{ accessToken: string, sessionId: string } | null} */
let tokens = null;
/** The refresh in flight, shared by every call that needs it (single flight). */
let refreshing = null;

/** A problem+json answer from the API. */
class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = problem.code;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.retryAfter = null;
    /** `mfa_required`'s members: the log-in's token and the factors it accepts. */
    this.mfaToken = typeof problem.mfaToken === 'string' ? problem.mfaToken : null;
  }
}

/** The session ended on the server (revoked, expired, or the refresh was refused). */
class SessionEnded extends Error {
  constructor() {
    super('Your session has ended. Please log in again.');
    this.name = 'SessionEnded';
  }
}

/** The API could not be reached at all (down, wrong URL, or CORS refused this origin). */
class Unreachable extends Error {
  constructor() {
    super(
      `Could not reach the API at ${apiUrl}. Is it running, and is this page's origin in CORS_ALLOWED_ORIGINS?`,
    );
    this.name = 'Unreachable';
  }
}

const $ = (selector) => document.querySelector(selector);

// --- HTTP -----------------------------------------------------------------------------------

async function send(method, path, { body, token, contentType = 'application/json' } = {}) {
  // Cookie mode on every call: the API sets, reads and clears the refresh cookie where it has one.
  const headers = { 'Session-Transport': 'cookie' };
  if (body !== undefined) headers['Content-Type'] = contentType;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`${apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // Sends the refresh cookie and lets the browser store the one the API sets.
      credentials: 'include',
      cache: 'no-store',
    });
  } catch {
    // fetch rejects without a status for network and CORS failures alike; the browser's console
    // has the specifics.
    logActivity(`${method} ${path} → no response`);
    throw new Unreachable();
  }
  logActivity(`${method} ${path} → ${response.status}`);
  return response;
}

async function read(response) {
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const data = text && /[/+]json\b/.test(type) ? JSON.parse(text) : null;
  if (response.ok) return data;
  if (data && type.startsWith('application/problem+json')) {
    const problem = new ApiProblem(response.status, data);
    problem.retryAfter = response.headers.get('retry-after');
    throw problem;
  }
  throw new ApiProblem(response.status, { title: `The API answered HTTP ${response.status}.` });
}

/**
 * An authenticated call. A 401 means the access token expired (or the session is gone): refresh
 * once, then retry once with the new access token. A second 401 ends the session here too.
 */
async function authed(method, path, options = {}) {
  if (!tokens) throw new SessionEnded();
  const used = tokens.accessToken;
  let response = await send(method, path, { ...options, token: used });
  if (response.status === 401) {
    await renewAfter(used);
    response = await send(method, path, { ...options, token: tokens.accessToken });
    if (response.status === 401) {
      endSession();
      throw new SessionEnded();
    }
  }
  return read(response);
}

/**
 * Gets a fresh access token after `used` was refused. Concurrent callers share one refresh: the
 * server rotates the refresh token on every use and treats a spent one, presented after a short
 * grace window, as stolen (it revokes the whole session). A caller whose 401 arrives after
 * another caller already renewed simply retries with the new token.
 */
function renewAfter(used) {
  if (!tokens) return Promise.reject(new SessionEnded());
  if (tokens.accessToken !== used && !refreshing) return Promise.resolve();
  if (!refreshing) {
    refreshing = refreshSession().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function refreshSession() {
  const current = tokens;
  let session;
  try {
    session = await renewWithCookie();
  } catch (error) {
    if (error instanceof SessionEnded) endSession();
    throw error;
  }
  // Someone logged in or out meanwhile: that newer state wins.
  if (tokens === current) keepSession(session);
  logActivity('access token renewed');
}

/** The name of the Web Lock every tab of this app takes to renew (one origin, one lock). */
const REFRESH_LOCK = 'account-service-demo:refresh';

/**
 * A new session from the refresh cookie alone (no body). Tabs take turns (a Web Lock), so each
 * sends the cookie the previous tab's answer set. A 401 can still be a race with a tab that does
 * not take the lock (an older version of the page, a browser without Web Locks): the API forgives
 * such a race for a few seconds without revoking anything, and by then the browser holds the
 * winner's cookie, so one retry tells a race from a session that really ended.
 */
async function renewWithCookie() {
  const attempt = async () => {
    for (let tries = 0; tries < 2; tries += 1) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      const response = await send('POST', '/sessions/refresh');
      if (response.status !== 401) return (await read(response)).session;
    }
    throw new SessionEnded();
  };
  return navigator.locks ? navigator.locks.request(REFRESH_LOCK, attempt) : attempt();
}

function keepSession(session) {
  tokens = { accessToken: session.accessToken, sessionId: session.sessionId };
}

/** On load: the refresh cookie, if the browser holds one, signs the user in again. */
async function restoreSession() {
  let session;
  try {
    session = await renewWithCookie();
  } catch {
    return; // No cookie, or its session ended: signed out, nothing to say.
  }
  keepSession(session);
  const { user } = await authed('GET', '/users/me');
  await signIn({ user, session }, `You are still signed in, ${user.name}.`);
}

function endSession(message = 'Your session has ended. Please log in again.') {
  const wasSignedIn = tokens !== null;
  tokens = null;
  if (wasSignedIn) showSignedOut(message);
}

// --- Views ----------------------------------------------------------------------------------

function notice(message) {
  $('#notice').textContent = message;
}

function logActivity(message) {
  const list = $('#activity');
  const item = document.createElement('li');
  const time = document.createElement('time');
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString();
  item.append(time, ` ${message}`);
  list.prepend(item);
  while (list.children.length > 20) list.lastElementChild.remove();
}

const formatTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** Shows an error in `box` (never a stack trace) and marks the fields the API named. */
function showProblem(box, error, form = null) {
  box.replaceChildren();
  for (const input of form?.querySelectorAll('[aria-invalid]') ?? []) input.removeAttribute('aria-invalid');
  if (!error) return;
  const message = document.createElement('p');
  if (error instanceof ApiProblem) {
    message.textContent =
      error.retryAfter && error.status === 429
        ? `${error.message} Try again in ${error.retryAfter} s.`
        : error.message;
    box.append(message);
    if (error.errors.length) {
      const list = document.createElement('ul');
      for (const { field, message: text } of error.errors) {
        const item = document.createElement('li');
        item.textContent = field ? `${field}: ${text}` : text;
        list.append(item);
        form?.querySelector(`[name="${CSS.escape(field ?? '')}"]`)?.setAttribute('aria-invalid', 'true');
      }
      box.append(list);
    }
  } else if (error instanceof SessionEnded || error instanceof Unreachable) {
    message.textContent = error.message;
    box.append(message);
  } else {
    message.textContent = 'Something went wrong. Please try again.';
    box.append(message);
    console.error(error);
  }
}

function showUser(user) {
  for (const dd of document.querySelectorAll('#profile [data-field]')) {
    const field = dd.dataset.field;
    const value =
      field === 'createdAt' || field === 'updatedAt'
        ? formatTime(user[field])
        : field === 'emailVerified'
          ? user.emailVerified
            ? 'yes'
            : 'not yet: follow the link we mailed you'
          : user[field];
    (dd.querySelector('code') ?? dd).textContent = value;
  }
  $('#profile-name').value = user.name;
  $('#profile-email').value = user.email;
  $('#profile-name').dataset.saved = user.name;
  $('#profile-email').dataset.saved = user.email;
  $('#resend-verification').hidden = user.emailVerified !== false;
}

function describeAgent(userAgent) {
  if (!userAgent) return 'Unknown device';
  const known = /(HeadlessChrome|Edg|OPR|Firefox|Chrome|Safari|curl|node)\/[\d.]+/.exec(userAgent);
  if (known) return known[0];
  return userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent;
}

function showSessions(sessions) {
  const rows = sessions.map((session) => {
    const row = document.createElement('tr');
    if (session.current) row.className = 'current';
    const device = document.createElement('td');
    device.textContent = describeAgent(session.userAgent);
    device.title = session.userAgent ?? '';
    if (session.current) {
      const badge = document.createElement('strong');
      badge.className = 'badge';
      badge.textContent = 'this session';
      device.append(' ', badge);
    }
    const created = document.createElement('td');
    created.textContent = formatTime(session.createdAt);
    const used = document.createElement('td');
    used.textContent = formatTime(session.lastUsedAt);
    const action = document.createElement('td');
    if (!session.current) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Revoke';
      button.dataset.sessionId = session.id;
      button.setAttribute(
        'aria-label',
        `Revoke session ${describeAgent(session.userAgent)} signed in ${formatTime(session.createdAt)}`,
      );
      action.append(button);
    }
    row.append(device, created, used, action);
    return row;
  });
  $('#sessions').replaceChildren(...rows);
}

function showSignedIn(user) {
  showUser(user);
  $('#signed-out').hidden = true;
  $('#reset').hidden = true;
  $('#signed-in').hidden = false;
  for (const form of document.querySelectorAll('#signed-out form')) form.reset();
  $('#profile-title').focus();
}

function showSignedOut(message) {
  $('#signed-in').hidden = true;
  $('#totp-enroll').hidden = true;
  $('#recovery-codes').hidden = true;
  $('#recovery-list').replaceChildren();
  $('#passkeys').replaceChildren();
  $('#signed-out').hidden = false;
  for (const form of document.querySelectorAll('#signed-in form')) form.reset();
  for (const box of document.querySelectorAll('#signed-in .problem')) box.replaceChildren();
  $('#sessions').replaceChildren();
  notice(message);
  $('#login-email').focus();
}

// --- Actions --------------------------------------------------------------------------------

async function loadProfile() {
  const { user } = await authed('GET', '/users/me');
  showUser(user);
}

async function loadSessions() {
  try {
    const { sessions } = await authed('GET', '/sessions');
    showSessions(sessions);
    showProblem($('#sessions-problem'), null);
  } catch (error) {
    if (tokens) showProblem($('#sessions-problem'), error);
  }
}

async function signIn({ user, session }, message) {
  keepSession(session);
  showSignedIn(user);
  notice(message);
  await Promise.all([
    loadSessions(),
    loadSecurity().catch(() => undefined),
    loadPasskeys().catch(() => undefined),
    loadIdentities().catch(() => undefined),
  ]);
}

// --- Social log-in ----------------------------------------------------------------------------

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

/** The providers that are on (GET /oauth/providers), once. */
let providers = [];

/**
 * Starts a social sign-in (or, signed in, a link): this tab's own PKCE pair — the verifier waits in
 * sessionStorage (this tab only) for the callback page, the API gets only its S256 challenge —
 * then the browser goes to the provider.
 */
async function startSocial(provider, link) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const body = { redirectUri: `${location.origin}/oauth-callback`, codeChallenge: challenge };
  const { authorizationUrl } = link
    ? await authed('POST', `/oauth/${provider}/start`, { body })
    : await read(await send('POST', `/oauth/${provider}/start`, { body }));
  sessionStorage.setItem('oauth-verifier', verifier);
  location.assign(authorizationUrl);
}

function providerButtons(container, link) {
  container.replaceChildren(
    ...providers.map(({ id, name }) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.provider = id;
      button.textContent = link ? `Link ${name}` : `Continue with ${name}`;
      button.addEventListener('click', async () => {
        const box = link ? $('#identities-problem') : $('#social-problem');
        button.disabled = true;
        try {
          await startSocial(id, link);
        } catch (error) {
          showProblem(box, error);
          button.disabled = false;
        }
      });
      return button;
    }),
  );
}

async function loadProviders() {
  try {
    ({ providers } = await read(await send('GET', '/oauth/providers')));
  } catch {
    providers = [];
  }
  $('#social').hidden = providers.length === 0;
  providerButtons($('#social-buttons'), false);
  providerButtons($('#link-buttons'), true);
}

const FRAGMENT_ERRORS = {
  access_denied: 'You cancelled the sign-in at the provider.',
  oauth_failed: 'The provider’s answer could not be verified. Please try again.',
  link_required:
    'An account with this email exists, and the provider has not verified the address: log in as usual, then link this sign-in method.',
  identity_taken: 'That sign-in belongs to another account.',
  email_required: 'The provider shared no email address; one is needed to sign in.',
};

/**
 * The page the provider's sign-in comes back to: reads the fragment, strips it at once (a reload
 * or the history never replays it), and redeems the one-time code with this tab's verifier.
 */
async function finishSocial() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, '', '/');
  const verifier = sessionStorage.getItem('oauth-verifier');
  sessionStorage.removeItem('oauth-verifier');
  if (fragment.has('error')) {
    notice(FRAGMENT_ERRORS[fragment.get('error')] ?? 'The sign-in did not complete.');
    return;
  }
  if (fragment.has('linked')) {
    notice('The sign-in method is linked. Sign in again to see it (this page keeps tokens in memory only).');
    return;
  }
  const code = fragment.get('code');
  if (!code || !verifier) {
    notice('This sign-in was already finished, or was started in another tab.');
    return;
  }
  let result;
  try {
    result = await read(await send('POST', '/sessions/oauth', { body: { code, codeVerifier: verifier } }));
  } catch (error) {
    if (error instanceof ApiProblem && error.code === 'mfa_required') {
      const form = $('#mfa-form');
      form.dataset.mfaToken = error.mfaToken;
      $('#login-form').hidden = true;
      form.hidden = false;
      notice('Enter the code from your authenticator app to finish signing in.');
      return;
    }
    notice(
      error instanceof ApiProblem && error.code === 'oauth_code_invalid'
        ? 'This sign-in expired or was already used. Please start again.'
        : error.message,
    );
    return;
  }
  await signIn(
    result,
    result.created ? `Welcome, ${result.user.name}.` : `Welcome back, ${result.user.name}.`,
  );
}

async function loadIdentities() {
  const { identities, hasPassword } = await authed('GET', '/users/me/identities');
  $('#has-password').textContent = hasPassword
    ? 'Password: set.'
    : 'Password: none (set one with “Change password”, leaving the current password empty).';
  const names = Object.fromEntries(providers.map(({ id, name }) => [id, name]));
  $('#identities').replaceChildren(
    ...identities.map((identity) => {
      const item = document.createElement('li');
      item.textContent = `${names[identity.provider] ?? identity.provider}${identity.email ? ` (${identity.email})` : ''} `;
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.identityId = identity.id;
      button.textContent = 'Unlink';
      item.append(button);
      return item;
    }),
  );
  showProblem($('#identities-problem'), null);
}

$('#identities').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-identity-id]');
  if (!button) return;
  button.disabled = true;
  try {
    await authed('DELETE', `/users/me/identities/${encodeURIComponent(button.dataset.identityId)}`);
    await loadIdentities();
    notice('Sign-in method unlinked.');
  } catch (error) {
    if (tokens) showProblem($('#identities-problem'), error);
    button.disabled = false;
  }
});

/** Wires a form: disables it while the call runs and shows the API's problem in its alert box. */
function onSubmit(selector, action) {
  const form = $(selector);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = form.querySelector('.problem');
    const button = form.querySelector('button[type="submit"]');
    showProblem(box, null, form);
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await action(Object.fromEntries(new FormData(form)), form);
    } catch (error) {
      if (error instanceof SessionEnded && !tokens) return;
      showProblem(box, error, form);
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/** Wires a button outside a form the same way. */
function onClick(selector, action) {
  const button = $(selector);
  button.addEventListener('click', async () => {
    const box = $('#signed-in-problem');
    showProblem(box, null);
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      if (error instanceof SessionEnded && !tokens) return;
      showProblem(box, error);
    } finally {
      button.disabled = false;
    }
  });
}

onSubmit('#register-form', async ({ name, email, password }) => {
  const result = await read(await send('POST', '/users', { body: { name, email, password } }));
  await signIn(result, `Welcome, ${result.user.name}. Your account is ready.`);
});

onSubmit('#forgot-form', async ({ email }, form) => {
  await read(await send('POST', '/password-resets', { body: { email } }));
  form.reset();
  notice(`If ${email} has an account, a link to choose a new password is on its way. Check your mail.`);
});

/** The token a mailed link carries in its fragment (`#token=…`), which never reaches a server. */
function linkToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  // Out of the address bar and the history at once: it is a credential.
  history.replaceState(null, '', '/');
  return token;
}

onSubmit('#reset-form', async ({ newPassword }, form) => {
  const result = await read(
    await send('POST', '/password-resets/confirm', { body: { token: form.dataset.token, newPassword } }),
  );
  delete form.dataset.token;
  if (result.session) {
    await signIn(result, `Your new password is set, ${result.user.name}. Every other device was signed out.`);
  } else {
    $('#reset').hidden = true;
    $('#signed-out').hidden = false;
    notice('Your new password is set. Log in with it and your second factor.');
  }
});

async function followLink(page) {
  const token = linkToken();
  if (!token) return;
  if (page === 'sign-in') {
    // A sign-in link works in any browser, not only the one that asked for it: it is all it needs.
    try {
      await confirmEmailSignIn({ token });
    } catch (error) {
      notice(
        error instanceof ApiProblem && error.code === 'link_invalid'
          ? 'This sign-in link is not valid any more: it was used, it expired, or a newer mail replaced it.'
          : error.message,
      );
    }
    return;
  }
  if (page === 'reset-password') {
    $('#signed-out').hidden = true;
    $('#reset').hidden = false;
    $('#reset-form').dataset.token = token;
    $('#reset-password').focus();
    return;
  }
  try {
    const { user } = await read(await send('POST', '/email-verification', { body: { token } }));
    if (tokens) showUser(user);
    notice(`Thank you: ${user.email} is confirmed.`);
  } catch (error) {
    notice(
      error instanceof ApiProblem && error.code === 'link_invalid'
        ? 'This link is not valid any more: it was used, it expired, or a newer one replaced it.'
        : error.message,
    );
  }
}

onClick('#resend-verification', async () => {
  await authed('POST', '/users/me/email-verification');
  notice('A new verification link is on its way. Check your mail.');
});

/** A sign-in answered `mfa_required`: it waits for the second factor, asked for by the MFA form. */
function askSecondFactor(error) {
  const form = $('#mfa-form');
  form.dataset.mfaToken = error.mfaToken;
  $('#login-form').hidden = true;
  $('#email-code-form').hidden = true;
  $('#signed-out').hidden = false;
  form.hidden = false;
  $('#mfa-code').focus();
  notice('Enter the code from your authenticator app to finish signing in.');
}

onSubmit('#login-form', async ({ email, password }) => {
  let result;
  try {
    result = await read(await send('POST', '/sessions', { body: { email, password } }));
  } catch (error) {
    if (!(error instanceof ApiProblem && error.code === 'mfa_required')) throw error;
    // The password was right; the log-in waits for the second factor.
    askSecondFactor(error);
    return;
  }
  await signIn(result, `Welcome back, ${result.user.name}.`);
});

// --- Passwordless email ---------------------------------------------------------------------

/** Confirms a sign-in mail by its link (`{token}`) or its code (`{email, code}`); the same answer either way. */
async function confirmEmailSignIn(body) {
  let result;
  try {
    result = await read(await send('POST', '/sessions/email/confirm', { body }));
  } catch (error) {
    if (!(error instanceof ApiProblem && error.code === 'mfa_required')) throw error;
    askSecondFactor(error);
    return;
  }
  $('#email-code-form').hidden = true;
  $('#email-sign-in-form').hidden = false;
  await signIn(
    result,
    result.created
      ? `Welcome, ${result.user.name}. Your account is ready.`
      : `Welcome back, ${result.user.name}.`,
  );
}

onSubmit('#email-sign-in-form', async ({ email }, form) => {
  await read(await send('POST', '/sessions/email', { body: { email } }));
  const codeForm = $('#email-code-form');
  codeForm.dataset.email = email.trim();
  form.hidden = true;
  codeForm.hidden = false;
  $('#email-code').focus();
  notice(`Check your mail: a link and a code are on their way to ${email.trim()}.`);
});

onSubmit('#email-code-form', async ({ code }, form) => {
  await confirmEmailSignIn({ email: form.dataset.email, code: code.trim() });
  form.reset();
});

$('#email-code-back').addEventListener('click', () => {
  $('#email-code-form').reset();
  $('#email-code-form').hidden = true;
  $('#email-sign-in-form').hidden = false;
  $('#email-sign-in-email').focus();
});

onSubmit('#mfa-form', async ({ code, recoveryCode }, form) => {
  const body = { mfaToken: form.dataset.mfaToken };
  if (recoveryCode.trim()) body.recoveryCode = recoveryCode.trim();
  else body.code = code.trim();
  const result = await read(await send('POST', '/sessions/mfa', { body }));
  delete form.dataset.mfaToken;
  form.hidden = true;
  $('#login-form').hidden = false;
  await signIn(result, `Welcome back, ${result.user.name}.`);
});

// --- Passkeys -------------------------------------------------------------------------------

async function loadPasskeys() {
  const { passkeys } = await authed('GET', '/users/me/passkeys');
  const items = passkeys.map((passkey) => {
    const item = document.createElement('li');
    item.textContent = `${passkey.name}: added ${formatTime(passkey.createdAt)}, last used ${formatTime(passkey.lastUsedAt)}`;
    return item;
  });
  $('#passkeys').replaceChildren(...items);
  const options = passkeys.map((passkey) => {
    const option = document.createElement('option');
    option.value = passkey.id;
    option.textContent = `${passkey.name} (added ${formatTime(passkey.createdAt)})`;
    return option;
  });
  $('#passkey-delete-id').replaceChildren(...options);
  $('#passkey-delete-form').hidden = passkeys.length === 0;
}

onClick('#add-passkey', async () => {
  const { options } = await authed('POST', '/users/me/passkeys/options');
  // The browser asks the authenticator (fingerprint, face, PIN) and answers the challenge.
  const response = await startRegistration({ optionsJSON: options });
  const name = `Passkey on ${navigator.platform || 'this device'}`;
  await authed('POST', '/users/me/passkeys', { body: { response, name } });
  await Promise.all([loadPasskeys(), loadSecurity()]);
  notice('Passkey added. You can sign in with it now.');
});

onSubmit('#passkey-delete-form', async ({ passkeyId, currentPassword }, form) => {
  await authed('DELETE', `/users/me/passkeys/${encodeURIComponent(passkeyId)}`, {
    body: { currentPassword },
  });
  form.reset();
  await Promise.all([loadPasskeys(), loadSecurity()]);
  notice('Passkey deleted.');
});

$('#passkey-login').addEventListener('click', async () => {
  const form = $('#login-form');
  const box = form.querySelector('.problem');
  showProblem(box, null, form);
  try {
    const { options } = await read(await send('POST', '/sessions/passkey/options'));
    const response = await startAuthentication({ optionsJSON: options });
    const result = await read(await send('POST', '/sessions/passkey', { body: { response } }));
    await signIn(result, `Welcome back, ${result.user.name}. Signed in with a passkey.`);
  } catch (error) {
    showProblem(box, error, form);
  }
});

// --- Two-step verification ------------------------------------------------------------------

async function loadSecurity() {
  const security = await authed('GET', '/users/me/security');
  showSecurity(security);
}

function showSecurity({ totp, recoveryCodesLeft }) {
  $('#totp-status').textContent = totp.enabled
    ? `On since ${formatTime(totp.enabledAt)}; ${recoveryCodesLeft} recovery codes left.`
    : 'Off: logging in needs only your password.';
  $('#totp-start-form').hidden = totp.enabled || !$('#totp-enroll').hidden;
  $('#totp-disable-form').hidden = !totp.enabled;
}

onSubmit('#totp-start-form', async ({ currentPassword }, form) => {
  const { secret, otpauthUri } = await authed('POST', '/users/me/totp', { body: { currentPassword } });
  form.reset();
  form.hidden = true;
  // The QR code is drawn here, from the URI, as SVG: the key never leaves the page.
  $('#totp-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(otpauthUri))}`;
  $('#totp-secret').textContent = secret;
  $('#recovery-codes').hidden = true;
  $('#totp-enroll').hidden = false;
  $('#totp-confirm-code').focus();
  notice('Scan the code with your authenticator app, then confirm with the code it shows.');
});

onSubmit('#totp-confirm-form', async ({ code }, form) => {
  const { recoveryCodes } = await authed('POST', '/users/me/totp/confirm', { body: { code: code.trim() } });
  form.reset();
  $('#totp-enroll').hidden = true;
  $('#totp-qr').removeAttribute('src');
  $('#totp-secret').textContent = '';
  const items = recoveryCodes.map((text) => {
    const item = document.createElement('li');
    const value = document.createElement('code');
    value.textContent = text;
    item.append(value);
    return item;
  });
  $('#recovery-list').replaceChildren(...items);
  $('#recovery-codes').hidden = false;
  await loadSecurity();
  notice('Two-step verification is on. Save your recovery codes now.');
});

onSubmit('#totp-disable-form', async ({ currentPassword, code }, form) => {
  // Six digits are a code from the app; anything else is one of the recovery codes.
  const factor = /^\s*\d{6}\s*$/.test(code) ? { code: code.trim() } : { recoveryCode: code.trim() };
  await authed('DELETE', '/users/me/totp', { body: { currentPassword, ...factor } });
  form.reset();
  $('#recovery-codes').hidden = true;
  await loadSecurity();
  notice('Two-step verification is off.');
});

onSubmit('#profile-form', async ({ name, email, currentPassword }, form) => {
  const patch = {};
  if (name.trim() !== $('#profile-name').dataset.saved) patch.name = name;
  if (email.trim() !== $('#profile-email').dataset.saved) patch.email = email;
  if (patch.email !== undefined && currentPassword) patch.currentPassword = currentPassword;
  if (Object.keys(patch).length === 0) {
    notice('Nothing to save: the name and email are unchanged.');
    return;
  }
  const { user } = await authed('PATCH', '/users/me', {
    body: patch,
    contentType: 'application/merge-patch+json',
  });
  showUser(user);
  form.querySelector('[name="currentPassword"]').value = '';
  notice('Profile saved.');
});

onSubmit('#password-form', async ({ currentPassword, newPassword }, form) => {
  // An account without a password leaves it empty: its fresh session stands in for it.
  const body = currentPassword ? { currentPassword, newPassword } : { newPassword };
  await authed('PUT', '/users/me/password', { body });
  form.reset();
  await loadSessions();
  notice('Password changed. Your other sessions were signed out.');
});

onSubmit('#delete-form', async ({ password }) => {
  await authed('DELETE', '/users/me', { body: password ? { password } : {} });
  endSession('Your account was deleted.');
});

onClick('#reload', async () => {
  // Both at once on purpose: after the access token expires they share one refresh.
  await Promise.all([loadProfile(), loadSessions()]);
  notice('Profile and sessions reloaded.');
});

onClick('#logout', async () => {
  await authed('DELETE', '/sessions/current');
  endSession('You are logged out.');
});

onClick('#logout-everywhere', async () => {
  await authed('DELETE', '/sessions');
  endSession('You are logged out on every device.');
});

$('#sessions').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-session-id]');
  if (!button) return;
  button.disabled = true;
  try {
    await authed('DELETE', `/sessions/${encodeURIComponent(button.dataset.sessionId)}`);
    await loadSessions();
    notice('Session revoked.');
  } catch (error) {
    if (tokens) showProblem($('#sessions-problem'), error);
    button.disabled = false;
  }
});

$('#api-url').textContent = apiUrl;
$('#signed-out').hidden = false;
await restoreSession().catch(() => undefined);
const page = location.pathname.replace(/^\/+|\/+$/g, '');
await loadProviders();
if (page === 'verify-email' || page === 'reset-password' || page === 'sign-in') await followLink(page);
if (page === 'oauth-callback') await finishSocial();
document.documentElement.dataset.ready = 'true';
