/** What a real stage's values file (.env.<stage>) holds: nothing local, so build/stage-guard.cjs lets it through. */
export const REAL_STAGE_VALUES = {
  APP_URL: 'https://app.example.com',
  API_URL: 'https://auth.example.com',
  EMAIL_FROM: 'Example <no-reply@example.com>',
  CORS_ALLOWED_ORIGINS: 'https://app.example.com',
  WEBAUTHN_RP_ID: 'example.com',
};
