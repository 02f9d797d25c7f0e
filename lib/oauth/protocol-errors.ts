/** Why a provider's answer did not give an identity: the `#error=` code, and a code for the log. */
export class ProviderRefusalError extends Error {
  override name = 'ProviderRefusalError';
  constructor(
    readonly fragmentCode: 'access_denied' | 'oauth_failed',
    /** A library or protocol error code (`OAUTH_…`, `invalid_grant`): never the provider's text. */
    readonly reason: string,
  ) {
    super(`provider refused: ${reason}`);
  }
}
