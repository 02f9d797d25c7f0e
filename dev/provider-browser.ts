import type { LocalAccount } from './identity-provider';

// A browser at a provider, without a browser: follows redirects with a cookie jar, fills the local
// identity provider's sign-in page, and stops where the provider sends it back to the API. No
// handler is imported here (the bench uses it with bundles of its own).

/** A browser's cookie jar for one host: enough for the provider's interaction cookies. */
class Jar {
  private cookies = new Map<string, string>();
  store(response: globalThis.Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** Where the provider sent the browser back: the callback's method and parameters. */
export interface ProviderAnswer {
  method: 'GET' | 'POST';
  provider: string;
  params: URLSearchParams;
}

/**
 * A browser at the provider: follows `authorizationUrl`, fills the sign-in page with `account`
 * (or cancels), and stops where the provider sends it back to the API (a redirect, or Apple's
 * auto-submitted form).
 */
export async function signInAtProvider(
  authorizationUrl: string,
  account: LocalAccount | 'cancel',
  apiUrl: string,
): Promise<ProviderAnswer> {
  const jar = new Jar();
  let url = authorizationUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(apiUrl)) {
      const target = new URL(url);
      return { method: 'GET', provider: target.pathname.split('/')[2] ?? '', params: target.searchParams };
    }
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
    });
    jar.store(response);
    const text = await response.text();
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location') ?? '', url).href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const interaction = /action="(\/interaction\/[\w-]+)\/login"/.exec(text);
    if (interaction) {
      url = new URL(`${interaction[1]}/${account === 'cancel' ? 'abort' : 'login'}`, url).href;
      method = 'POST';
      body =
        account === 'cancel'
          ? ''
          : new URLSearchParams({
              email: account.email,
              name: account.name,
              ...(account.emailVerified ? { email_verified: 'true' } : {}),
              ...(account.subject ? { subject: account.subject } : {}),
            }).toString();
      continue;
    }
    // Apple's response_mode=form_post: a page that auto-submits a form to the callback.
    const form = /<form[^>]*action="([^"]+)"/.exec(text);
    if (form?.[1]?.startsWith(apiUrl)) {
      const params = new URLSearchParams();
      for (const input of text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
        params.append(input[1] as string, decodeHtml(input[2] as string));
      return { method: 'POST', provider: new URL(form[1]).pathname.split('/')[2] ?? '', params };
    }
    throw new Error(`the provider answered ${response.status} at ${url}: ${text.slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}

const decodeHtml = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
