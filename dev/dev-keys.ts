import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../lib/config';
import { generateSigningKey } from './signing-key';

// `npm start`'s own secrets, made the first time and kept in a git-ignored file (.dev/keys.json,
// mode 0600) so that a persistent datastore (REDIS_URL) stays usable across restarts: access
// tokens keep verifying, TOTP secrets keep decrypting, recovery codes, sign-in codes and
// known-device tokens keep matching (all keyed by TOTP_ENCRYPTION_KEY).

/** What the file holds: a signing key per JWT_ALGORITHM used so far, and the TOTP encryption key. */
interface KeyFile {
  signingKeys: Partial<Record<SigningAlgorithm, JWK>>;
  totpEncryptionKey: string;
}

/** The values `npm start` gives the secret variables the environment leaves unset. */
export interface DevKeys {
  /** A private JWK (JSON) of the algorithm asked for. */
  JWT_PRIVATE_KEY: string;
  /** 32 random bytes, base64url. */
  TOTP_ENCRYPTION_KEY: string;
}

/**
 * The development keys kept in `path`: read from it, or made and written to it (mode 0600, in a
 * folder of mode 0700) the first time, and again when `algorithm` has no key there yet (the other
 * keys stay). `created` says whether the file was written. A file that does not hold keys is an
 * error, never overwritten: whatever a persistent datastore keeps under its keys would be lost.
 */
export async function loadOrCreateDevKeys(
  path: string,
  algorithm: SigningAlgorithm,
): Promise<{ keys: DevKeys; created: boolean }> {
  const stored = readKeyFile(path);
  let file: KeyFile = stored ?? { signingKeys: {}, totpEncryptionKey: randomBytes(32).toString('base64url') };
  let jwk = file.signingKeys[algorithm];
  if (!jwk) {
    jwk = (await generateSigningKey(algorithm)).privateJwk;
    file = { ...file, signingKeys: { ...file.signingKeys, [algorithm]: jwk } };
  }
  const created = file !== stored;
  if (created) writeKeyFile(path, file);
  return {
    keys: { JWT_PRIVATE_KEY: JSON.stringify(jwk), TOTP_ENCRYPTION_KEY: file.totpEncryptionKey },
    created,
  };
}

function readKeyFile(path: string): KeyFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: Partial<KeyFile> | null = null;
  try {
    parsed = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    // reported below
  }
  if (
    typeof parsed?.totpEncryptionKey !== 'string' ||
    typeof parsed.signingKeys !== 'object' ||
    parsed.signingKeys === null
  ) {
    throw new Error(
      `${path} does not hold npm start's development keys: repair it, or delete it to make new ones ` +
        '(what a persistent REDIS_URL keeps under the old ones is then unreadable).',
    );
  }
  return parsed as KeyFile;
}

/** Writes `file` whole or not at all, readable by its owner only from the first byte. */
function writeKeyFile(path: string, file: KeyFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const scratch = `${path}.${process.pid}.tmp`;
  // `wx`: a new file, so `mode` applies (it is ignored for a file that exists).
  writeFileSync(scratch, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(scratch, path);
}
