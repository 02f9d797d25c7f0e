// oidc-provider ships no types; the local identity provider (dev/identity-provider.ts) uses a few
// members of it, typed loosely here.
declare module 'oidc-provider' {
  // biome-ignore lint/suspicious/noExplicitAny: an untyped package, used by dev tooling only
  const Provider: any;
  export default Provider;
}
