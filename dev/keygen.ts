// `npm run keygen [-- --alg EdDSA|RS256|ES256]`: prints a new signing key pair as JWKs, and the other secrets.
//   stdout line 1: the private JWK, one JSON line: the value of JWT_PRIVATE_KEY (secret)
//   stdout line 2: the public JWK: add it to JWT_PREVIOUS_PUBLIC_KEYS when this key is rotated out
//   stdout line 3: 32 random bytes, base64url: the value of TOTP_ENCRYPTION_KEY (secret)
//   stdout line 4: a Standard Webhooks secret: the value of HOOK_SECRET (secret)
// Guidance goes to stderr, so `npm run -s keygen | head -1` is the bare private key.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../lib/config';
import { generateSigningKey } from './signing-key';

const KEY_NAMES: Record<SigningAlgorithm, string> = {
  EdDSA: 'Ed25519',
  RS256: 'RSA 2048-bit',
  ES256: 'EC P-256',
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { alg: { type: 'string', default: 'EdDSA' } } });
  const alg = values.alg as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg))
    throw new Error(
      `--alg must be one of ${SIGNING_ALGORITHMS.join(', ')} (JWT_ALGORITHM), got ${values.alg}`,
    );
  const { kid, privateJwk, publicJwk } = await generateSigningKey(alg);
  console.error(`# New ${KEY_NAMES[alg]} signing key for JWT_ALGORITHM=${alg}, kid ${kid}`);
  console.error('# 1. JWT_PRIVATE_KEY (secret: store it in your secret manager, never in git):');
  console.log(JSON.stringify(privateJwk));
  console.error(
    '# 2. Public key: append it to JWT_PREVIOUS_PUBLIC_KEYS when this key is rotated out (or, ahead of a',
  );
  console.error('#    rotation, two hours before it signs, so API Gateway authorizers have fetched it):');
  console.log(JSON.stringify(publicJwk));
  console.error(
    '# 3. TOTP_ENCRYPTION_KEY (secret; set once: changing it makes enrolled authenticators unreadable):',
  );
  console.log(randomBytes(32).toString('base64url'));
  console.error(
    '# 4. HOOK_SECRET (secret; signs the requests to a custom claims hook URL, Standard Webhooks):',
  );
  console.log(`whsec_${randomBytes(32).toString('base64')}`);
}

main().catch((error: unknown) => {
  console.error(`keygen: ${(error as Error).message ?? error}`);
  process.exit(1);
});
