// Runs before each test file (jest `setupFiles`): a complete, valid environment so that function
// modules, which build their services from process.env at import, load as they would on Lambda.
// Cheap Argon2 parameters here; the few tests about hashing cost set the real ones themselves.
// The signing key follows JWT_ALGORITHM when the run sets it (`.ci/run` runs the functions project
// once more with RS256).
import { randomBytes } from 'node:crypto';
import { newPrivateJwk } from './signing-keys';

Object.assign(process.env, {
  JWT_PRIVATE_KEY: newPrivateJwk(),
  TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  LOG_LEVEL: 'SILENT',
  RATE_LIMIT_LOGIN_PER_IP: '1000/60',
  RATE_LIMIT_REGISTER_PER_IP: '1000/60',
  RATE_LIMIT_EMAIL_CHANGE_PER_USER: '1000/60',
});
