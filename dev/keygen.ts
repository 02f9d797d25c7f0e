// `npm run keygen`: prints a new Ed25519 signing key pair as JWKs.
//   stdout line 1: the private JWK, one JSON line: the value of JWT_PRIVATE_KEY (secret)
//   stdout line 2: the public JWK: add it to JWT_PREVIOUS_PUBLIC_KEYS when this key is rotated out
//   stdout line 3: 32 random bytes, base64url: the value of TOTP_ENCRYPTION_KEY (secret)
// Guidance goes to stderr, so `npm run -s keygen | head -1` is the bare private key.
import { randomBytes } from 'node:crypto';
import { generateSigningKey } from './signing-key';

async function main(): Promise<void> {
  const { kid, privateJwk, publicJwk } = await generateSigningKey();
  console.error(`# New Ed25519 signing key, kid ${kid}`);
  console.error('# 1. JWT_PRIVATE_KEY (secret: store it in your secret manager, never in git):');
  console.log(JSON.stringify(privateJwk));
  console.error('# 2. Public key: append it to JWT_PREVIOUS_PUBLIC_KEYS when this key is rotated out:');
  console.log(JSON.stringify(publicJwk));
  console.error(
    '# 3. TOTP_ENCRYPTION_KEY (secret; set once: changing it makes enrolled authenticators unreadable):',
  );
  console.log(randomBytes(32).toString('base64url'));
}

main().catch((error: unknown) => {
  console.error(`keygen: ${(error as Error).message ?? error}`);
  process.exit(1);
});
