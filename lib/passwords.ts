import { randomBytes } from 'node:crypto';
import { isListedPassword } from './common-passwords';
import type { Config } from './config';
import { ValidationError } from './errors';
import { codePointLength } from './validation';

type Argon2 = typeof import('@node-rs/argon2');

/** Argon2id cost parameters (OWASP's second recommended set by default). */
export type Argon2Params = Config['argon2'];

/** Hashes and verifies passwords; the only place that touches Argon2. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** True when `passwordHash` was made with other parameters than the current ones: re-hash it at log-in. */
  needsRehash(passwordHash: string): boolean;
  /** Burns the time of one verification, for unknown emails, so log-in timing does not reveal which emails exist. */
  verifyDummy(password: string): Promise<void>;
}

/** Passwords are NFKC-normalised before hashing so that visually identical input on any keyboard matches. */
const normalise = (password: string): string => password.normalize('NFKC');

let argon2: Argon2 | undefined;
/**
 * The native addon, loaded on first use so that functions that never hash do not load (or ship)
 * it — with `require`, not `import()`: a dynamic import of the CommonJS package from the bundle
 * went through Node's ES module loader and its CommonJS export scanner, ≈15–20 ms of a cold
 * log-in's first response (bench, CPU profile) before the addon's own `dlopen`.
 */
const loadArgon2 = (): Argon2 => {
  argon2 ??= require('@node-rs/argon2') as Argon2;
  return argon2;
};

/**
 * Builds the Argon2id hasher for the given cost parameters. `early`: load the addon while the
 * first request waits (below) — false where most requests never hash (the profile's name change).
 */
export function createPasswordHasher(params: Argon2Params, early = true): PasswordHasher {
  // Argon2id is the library's default algorithm (its `Algorithm` export is a const enum, unusable here).
  const options = {
    memoryCost: params.memoryKib,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  let dummyHash: Promise<string> | undefined;
  // A function that hashes or verifies on most requests: inside Lambda (and serverless offline's
  // workers), load the addon (a synchronous `dlopen`, ≈5 ms) as soon as the event loop is free —
  // while the first request waits on the datastore — rather than in the middle of that request.
  // Not in tests and tools, whose processes may be done by then.
  if (early && process.env.AWS_LAMBDA_FUNCTION_NAME) {
    setImmediate(() => {
      try {
        loadArgon2();
      } catch {
        // A missing addon fails the request that needs it (a 500 it logs), not the process.
      }
    }).unref();
  }
  const hash = async (password: string) => loadArgon2().hash(normalise(password), options);
  const verifyDummy = async (password: string) => {
    dummyHash ??= hash(randomBytes(16).toString('base64url'));
    await loadArgon2().verify(await dummyHash, normalise(password));
  };
  return {
    hash,
    async verify(passwordHash, password) {
      // No password (an account made by a sign-in mail): refused in the time a verification takes.
      if (passwordHash === '') {
        await verifyDummy(password);
        return false;
      }
      try {
        return await loadArgon2().verify(passwordHash, normalise(password));
      } catch {
        // A malformed stored hash must fail closed, never throw a 500 mid-login.
        return false;
      }
    },
    needsRehash(passwordHash) {
      try {
        return needsRehashWith(passwordHash, params);
      } catch {
        return true;
      }
    },
    verifyDummy,
  };
}

/** Parses the PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) and compares its parameters. */
function needsRehashWith(passwordHash: string, params: Argon2Params): boolean {
  const match = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!match) return true;
  const [, algorithm, version, m, t, p] = match;
  return (
    algorithm !== 'argon2id' ||
    version !== '19' ||
    Number(m) !== params.memoryKib ||
    Number(t) !== params.timeCost ||
    Number(p) !== params.parallelism
  );
}

/** Context for the password policy: the account's own name and email are never acceptable passwords. */
export interface PasswordContext {
  minLength: number;
  email: string;
  name: string;
}

/** True when the password is on the bundled common-password list (case-insensitive). */
export const isCommonPassword = (password: string): boolean => {
  const entry = normalise(password).toLowerCase();
  return entry !== '' && !/[\r\n]/.test(entry) && isListedPassword(entry);
};

/**
 * Applies the password rules (docs/decisions.md); returns the reason a password is refused, or null.
 * Length is counted in code points after NFKC, as the hash sees it.
 */
export function checkPasswordPolicy(password: string, context: PasswordContext): string | null {
  const normalised = normalise(password);
  if (codePointLength(normalised) < context.minLength)
    return `must be at least ${context.minLength} characters`;
  if (isCommonPassword(normalised)) return 'is too common; choose a less predictable password';
  const lower = normalised.toLowerCase();
  if (lower === context.email.toLowerCase() || lower === context.name.trim().toLowerCase()) {
    return 'must not be your email or name';
  }
  return null;
}

/** `checkPasswordPolicy`, as the request's answer: a `validation_failed` naming `field`. */
export function requirePasswordPolicy(field: string, password: string, context: PasswordContext): void {
  const problem = checkPasswordPolicy(password, context);
  if (problem) throw new ValidationError([{ field, message: problem }]);
}
