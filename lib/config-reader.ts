import type { CONFIG_VARIABLES, Config, RateLimitRule, VariableName, WholeNumberVariable } from './config';
import VARIABLES from './config-variables.json';
import {
  algorithmOfJwk,
  type CustomClaimsHookConfig,
  type Ed25519Jwk,
  isMember,
  SIGNING_ALGORITHMS,
  SIGNING_KEY_KINDS,
  type SigningAlgorithm,
  type SigningJwk,
} from './signing-keys';

/**
 * The readers lib/config.ts's parser is made of: one per kind of value (a whole number within its
 * table row's bounds, a secure URL, a signing key, a rate-limit rule, …).
 */

/** Standard Webhooks secrets: `whsec_` then the key in base64. */
const WEBHOOK_SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** A Lambda function name, partial or full ARN, with an optional version or alias. */
const LAMBDA_FUNCTION =
  /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;

// Hand-written rather than a zod schema: this module is in every function's bundle, and zod would
// add ~25 KiB to functions that otherwise never validate a body (see README, "Performance").
// Every reader records its problem and returns a placeholder, so one pass finds every problem.
// Messages name the rule, never the value: some of these variables are secrets.
/** The table (lib/config-variables.json), typed as lib/config.ts declares it. */
const TABLE: typeof CONFIG_VARIABLES = VARIABLES;

export function reader(env: Record<string, string | undefined>, problems: string[]) {
  // Empty counts as unset; unset takes the table's default (undefined when the variable is required).
  const raw = (name: VariableName): string | undefined =>
    env[name] === undefined || env[name] === '' ? TABLE[name].default : env[name];
  const fail = <T>(name: VariableName, message: string, placeholder: T): T => {
    problems.push(`${name} ${message}`);
    return placeholder;
  };
  const url = (text: string): URL | null => {
    try {
      return new URL(text);
    } catch {
      return null;
    }
  };
  const isHttpUrl = (text: string) => ['http:', 'https:'].includes(url(text)?.protocol ?? '');
  const isLoopback = (host: string) =>
    host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  const json = (name: VariableName, text: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return fail(name, 'is not valid JSON', undefined);
    }
  };
  return {
    required(name: VariableName): string {
      return raw(name) ?? fail(name, 'is required', '');
    },
    text(name: VariableName, maxLength = 1024): string {
      const value = raw(name) ?? '';
      return value.length <= maxLength ? value : fail(name, `must be at most ${maxLength} characters`, '');
    },
    /** An https URL; plain http only for a loopback host (a local datastore), never across a network. */
    secureUrl(name: VariableName): string {
      const value = raw(name);
      if (value === undefined) return fail(name, 'is required', '');
      const parsed = url(value);
      if (parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname)))
        return value;
      return fail(name, 'must be an https URL (http only for localhost)', '');
    },
    /** A whole number within the table's `min` and `max` (inclusive). */
    wholeNumber(name: WholeNumberVariable): number {
      const { min, max } = VARIABLES[name];
      const value = raw(name) ?? '';
      if (!/^\d+$/.test(value)) return fail(name, 'must be a whole number', 0);
      const n = Number(value);
      if (n < min) return fail(name, `must be at least ${min}`, 0);
      return n <= max ? n : fail(name, `must be at most ${max}`, 0);
    },
    rate(name: VariableName): RateLimitRule {
      const match = /^(\d+)\/(\d+)$/.exec((raw(name) ?? '').trim());
      const limit = Number(match?.[1]);
      const windowSeconds = Number(match?.[2]);
      if (!match || limit < 1 || windowSeconds < 1)
        return fail(name, 'must look like N/SECONDS, e.g. 30/300', { limit: 0, windowSeconds: 0 });
      return { limit, windowSeconds };
    },
    /** Exactly `bytes` random bytes, base64url (a symmetric key). */
    symmetricKey(name: VariableName, bytes: number): Buffer {
      const text = raw(name);
      if (text === undefined) return fail(name, 'is required', Buffer.alloc(0));
      const key = /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, 'base64url') : Buffer.alloc(0);
      return key.length === bytes ? key : fail(name, `must be ${bytes} bytes, base64url`, Buffer.alloc(0));
    },
    /** A private JWK of the kind `algorithm` signs with; a mismatch names both. */
    privateKey(name: VariableName, algorithm: SigningAlgorithm): SigningJwk {
      const text = raw(name);
      const placeholder: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', x: '' };
      if (text === undefined) return fail(name, 'is required', placeholder);
      const value = json(name, text);
      if (value === undefined) return placeholder;
      const kind = algorithmOfJwk(value);
      const jwk = value as Record<string, unknown>;
      // An RSA private key needs its CRT members too (node:crypto refuses one without them).
      const privateMembers = kind === 'RS256' ? ['d', 'p', 'q', 'dp', 'dq', 'qi'] : ['d'];
      if (kind === null || !privateMembers.every((member) => isMember(jwk[member])))
        return fail(
          name,
          `must be a private JWK: ${SIGNING_KEY_KINDS[algorithm]}, with its private members`,
          placeholder,
        );
      if (kind !== algorithm)
        return fail(
          name,
          `is ${SIGNING_KEY_KINDS[kind]}, which signs ${kind}, but JWT_ALGORITHM is ${algorithm}: make a key with \`npm run keygen -- --alg ${algorithm}\`, or set JWT_ALGORITHM=${kind}`,
          placeholder,
        );
      return value as SigningJwk;
    },
    publicKeys(name: VariableName): SigningJwk[] {
      const value = json(name, raw(name) ?? '[]');
      if (value === undefined) return [];
      const message = 'must be a JSON array of public JWKs (Ed25519, RSA of at least 2048 bits, or EC P-256)';
      if (!Array.isArray(value)) return fail(name, message, []);
      return value.every((jwk) => algorithmOfJwk(jwk) !== null)
        ? (value as SigningJwk[])
        : fail(name, message, []);
    },
    algorithm(name: VariableName): SigningAlgorithm {
      const value = raw(name) ?? '';
      return (SIGNING_ALGORITHMS as readonly string[]).includes(value)
        ? (value as SigningAlgorithm)
        : fail(name, `must be one of ${SIGNING_ALGORITHMS.join(', ')}`, 'EdDSA');
    },
    /** A Lambda function (name or ARN) or an https URL (http on loopback) that needs `secretName`. */
    hook(name: VariableName, secretName: VariableName): CustomClaimsHookConfig | null {
      const value = raw(name) ?? '';
      const secretText = raw(secretName) ?? '';
      if (value === '') return null;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        const parsed = url(value);
        const secure =
          parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname));
        if (!secure)
          return fail(name, 'must be an https URL (http only for localhost) or a Lambda function name', null);
        const key = Buffer.from(WEBHOOK_SECRET.exec(secretText)?.[1] ?? '', 'base64');
        if (key.length < 24 || key.length > 64)
          return fail(
            secretName,
            'must be whsec_ followed by 24–64 bytes in base64 when HOOK_CUSTOM_CLAIMS is a URL',
            null,
          );
        return { kind: 'url', url: value, secret: key };
      }
      return LAMBDA_FUNCTION.test(value)
        ? { kind: 'lambda', functionName: value }
        : fail(name, 'must be an https URL (http only for localhost) or a Lambda function name', null);
    },
    origins(name: VariableName): string[] {
      const origins = (raw(name) ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
      return origins.every((origin) => origin === '*' || isHttpUrl(origin))
        ? origins
        : fail(name, 'must be a comma-separated list of http(s) origins or *', []);
    },
    ssmPath(name: VariableName): string {
      const value = raw(name) ?? '';
      return value === '' || /^(\/[\w.-]+)+\/?$/.test(value)
        ? value
        : fail(name, 'must be an SSM parameter path such as /account-service/prod', '');
    },
    flag(name: VariableName): boolean {
      const value = (raw(name) ?? '').toLowerCase();
      if (value === 'true' || value === 'false') return value === 'true';
      return fail(name, 'must be true or false', false);
    },
    httpOrigin(name: VariableName): string {
      const value = raw(name) ?? '';
      return isHttpUrl(value) ? value.replace(/\/+$/, '') : fail(name, 'must be an http(s) URL', '');
    },
    logLevel(name: VariableName): Config['logLevel'] {
      const value = (raw(name) ?? '').toUpperCase();
      return (LOG_LEVELS as readonly string[]).includes(value)
        ? (value as Config['logLevel'])
        : fail(name, `must be one of ${LOG_LEVELS.join(', ')}`, 'INFO');
    },
  };
}
