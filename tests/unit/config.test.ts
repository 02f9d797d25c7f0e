import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CONFIG_VARIABLES, ConfigError, parseConfig, type VariableName } from '../../lib/config';

const keyPair = () => generateKeyPairSync('ed25519');
const privateJwk = keyPair().privateKey.export({ format: 'jwk' });
const previousJwk = keyPair().publicKey.export({ format: 'jwk' });

const REST_TOKEN = 'rest-token-that-must-never-be-echoed';
const rsaPublic = (modulusLength: number) =>
  generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' });
const HOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const TOTP_KEY = randomBytes(32).toString('base64url');

/** The smallest valid environment: only the required variables. */
const required = (): Record<string, string> => ({
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
  UPSTASH_REDIS_REST_TOKEN: REST_TOKEN,
  JWT_PRIVATE_KEY: JSON.stringify(privateJwk),
  TOTP_ENCRYPTION_KEY: TOTP_KEY,
});

/** Runs parseConfig and returns the ConfigError it throws (fails the test when it does not throw). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig accepted a bad environment');
}

describe('parseConfig defaults', () => {
  test('the required variables alone give every default the README names', () => {
    // Act
    const config = parseConfig(required());

    // Assess
    expect(config).toEqual({
      datastore: { url: 'http://127.0.0.1:8079', token: REST_TOKEN, timeoutMs: 2000, sessionTouchMs: 60_000 },
      keyPrefix: 'acct:',
      apiUrl: 'http://localhost:3000',
      jwt: {
        algorithm: 'EdDSA',
        privateKey: privateJwk,
        previousPublicKeys: [],
        // JWT_ISSUER defaults to API_URL.
        issuer: 'http://localhost:3000',
        audience: 'account-service',
      },
      customClaimsHook: null,
      totpEncryptionKey: Buffer.from(TOTP_KEY, 'base64url'),
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 2_592_000,
      refreshReuseGraceSeconds: 10,
      reauthMaxAgeSeconds: 300,
      edge: { originSecret: '', wafRateLimit: 0 },
      passwordMinLength: 12,
      argon2: { memoryKib: 19_456, timeCost: 2, parallelism: 1 },
      rateLimits: {
        loginPerIp: { limit: 30, windowSeconds: 300 },
        registerPerIp: { limit: 20, windowSeconds: 3600 },
        emailChangePerUser: { limit: 10, windowSeconds: 3600 },
        resetPerIp: { limit: 10, windowSeconds: 3600 },
        mailPerAddress: { limit: 5, windowSeconds: 86_400 },
        emailSignInPerIp: { limit: 10, windowSeconds: 3600 },
        oauthPerIp: { limit: 30, windowSeconds: 300 },
      },
      mail: {
        appName: 'Account Service',
        appUrl: 'http://localhost:5173',
        from: 'Account Service <no-reply@localhost>',
        emailVerificationTtlSeconds: 86_400,
        passwordResetTtlSeconds: 1800,
        functionName: 'account-service-dev-send-mail',
      },
      requireVerifiedEmail: false,
      emailSignIn: { ttlSeconds: 600, signUp: true },
      auditRetentionDays: 90,
      notifyNewDevice: true,
      alarms: { email: '', failedSignInsPerMinute: 50 },
      corsAllowedOrigins: [],
      logLevel: 'INFO',
      ssmParameterPrefix: '',
      webauthn: { rpId: 'localhost', rpName: 'Account Service', origins: ['http://localhost:5173'] },
      oauth: {
        providers: [],
        redirectOrigins: ['http://localhost:5173'],
        stateTtlSeconds: 600,
        timeoutMs: 3000,
      },
    });
  });

  test('empty strings count as unset and take the default', () => {
    // Prepare
    const env = { ...required(), KEY_PREFIX: '', ACCESS_TOKEN_TTL_SECONDS: '', LOG_LEVEL: '' };

    // Act
    const config = parseConfig(env);

    // Assess
    expect([config.keyPrefix, config.accessTokenTtlSeconds, config.logLevel]).toEqual(['acct:', 900, 'INFO']);
  });

  test('reads nothing but its argument (no process.env)', () => {
    // Prepare: process.env carries the test setup's values (cheap Argon2, SILENT logs)
    expect(process.env.ARGON2_MEMORY_KIB).toBe('1024');

    // Act
    const config = parseConfig(required());

    // Assess
    expect(config.argon2.memoryKib).toBe(19_456);
    expect(config.logLevel).toBe('INFO');
  });
});

describe('parseConfig accepts and converts good values', () => {
  test.each<[string, string, (c: ReturnType<typeof parseConfig>) => unknown, unknown]>([
    ['KEY_PREFIX', 'tenant-a:', (c) => c.keyPrefix, 'tenant-a:'],
    ['JWT_ISSUER', 'https://auth.example.com', (c) => c.jwt.issuer, 'https://auth.example.com'],
    ['JWT_AUDIENCE', 'api.example.com', (c) => c.jwt.audience, 'api.example.com'],
    ['ACCESS_TOKEN_TTL_SECONDS', '1', (c) => c.accessTokenTtlSeconds, 1],
    ['ACCESS_TOKEN_TTL_SECONDS', '86400', (c) => c.accessTokenTtlSeconds, 86_400],
    ['REFRESH_TOKEN_TTL_SECONDS', '60', (c) => c.refreshTokenTtlSeconds, 60],
    ['REFRESH_TOKEN_TTL_SECONDS', '31536000', (c) => c.refreshTokenTtlSeconds, 31_536_000],
    ['PASSWORD_MIN_LENGTH', '8', (c) => c.passwordMinLength, 8],
    ['PASSWORD_MIN_LENGTH', '256', (c) => c.passwordMinLength, 256],
    ['ARGON2_MEMORY_KIB', '65536', (c) => c.argon2.memoryKib, 65_536],
    ['ARGON2_TIME_COST', '3', (c) => c.argon2.timeCost, 3],
    ['ARGON2_PARALLELISM', '4', (c) => c.argon2.parallelism, 4],
    ['DATASTORE_TIMEOUT_MS', '500', (c) => c.datastore.timeoutMs, 500],
    ['RATE_LIMIT_LOGIN_PER_IP', '5/60', (c) => c.rateLimits.loginPerIp, { limit: 5, windowSeconds: 60 }],
    [
      'RATE_LIMIT_REGISTER_PER_IP',
      ' 3/86400 ',
      (c) => c.rateLimits.registerPerIp,
      { limit: 3, windowSeconds: 86_400 },
    ],
    [
      'CORS_ALLOWED_ORIGINS',
      ' https://app.example.com , http://localhost:5173 ,',
      (c) => c.corsAllowedOrigins,
      ['https://app.example.com', 'http://localhost:5173'],
    ],
    ['CORS_ALLOWED_ORIGINS', '*', (c) => c.corsAllowedOrigins, ['*']],
    ['EMAIL_SIGN_IN_TTL_SECONDS', '60', (c) => c.emailSignIn.ttlSeconds, 60],
    ['EMAIL_SIGN_IN_TTL_SECONDS', '3600', (c) => c.emailSignIn.ttlSeconds, 3600],
    ['EMAIL_SIGN_UP', 'false', (c) => c.emailSignIn.signUp, false],
    [
      'RATE_LIMIT_EMAIL_SIGN_IN_PER_IP',
      '3/600',
      (c) => c.rateLimits.emailSignInPerIp,
      { limit: 3, windowSeconds: 600 },
    ],
    ['LOG_LEVEL', 'debug', (c) => c.logLevel, 'DEBUG'],
    ['LOG_LEVEL', 'Silent', (c) => c.logLevel, 'SILENT'],
    [
      'JWT_PREVIOUS_PUBLIC_KEYS',
      JSON.stringify([previousJwk]),
      (c) => c.jwt.previousPublicKeys,
      [previousJwk],
    ],
    [
      'UPSTASH_REDIS_REST_URL',
      'https://eu1-example.upstash.io',
      (c) => c.datastore.url,
      'https://eu1-example.upstash.io',
    ],
  ])('%s=%j', (name, value, pick, expected) => {
    // Act
    const config = parseConfig({ ...required(), [name]: value });

    // Assess
    expect(pick(config)).toEqual(expected);
  });
});

describe('parseConfig rejects bad values', () => {
  test.each<[string, string]>([
    ['UPSTASH_REDIS_REST_URL', 'not a url'],
    ['UPSTASH_REDIS_REST_URL', 'ftp://127.0.0.1:8079'],
    ['UPSTASH_REDIS_REST_URL', 'redis://127.0.0.1:6379'],
    // A token in clear text across a network: https only, except on a loopback host.
    ['UPSTASH_REDIS_REST_URL', 'http://eu1-redis.upstash.io'],
    ['UPSTASH_REDIS_REST_URL', 'http://10.0.0.5:8079'],
    ['UPSTASH_REDIS_REST_URL', 'http://127.0.0.1.example.com'],
    ['SSM_PARAMETER_PREFIX', 'account-service/prod'],
    ['REQUIRE_VERIFIED_EMAIL', 'yes'],
    ['APP_URL', 'localhost:5173'],
    ['PASSWORD_RESET_TTL_SECONDS', '60'],
    ['RATE_LIMIT_MAIL_PER_ADDRESS', '5'],
    ['EMAIL_SIGN_IN_TTL_SECONDS', '59'],
    ['EMAIL_SIGN_IN_TTL_SECONDS', '3601'],
    ['EMAIL_SIGN_UP', 'on'],
    ['RATE_LIMIT_EMAIL_SIGN_IN_PER_IP', '0/60'],
    ['SSM_PARAMETER_PREFIX', '/account service'],
    ['DATASTORE_TIMEOUT_MS', '10'],
    ['DATASTORE_TIMEOUT_MS', 'soon'],
    ['KEY_PREFIX', 'k'.repeat(65)],
    ['JWT_PRIVATE_KEY', '{not json'],
    ['JWT_PRIVATE_KEY', JSON.stringify(previousJwk)],
    ['JWT_PRIVATE_KEY', JSON.stringify({ ...privateJwk, crv: 'X25519' })],
    ['JWT_PRIVATE_KEY', JSON.stringify({ kty: 'RSA', n: 'abc', e: 'AQAB', d: 'abc' })],
    ['JWT_PRIVATE_KEY', JSON.stringify([privateJwk])],
    ['TOTP_ENCRYPTION_KEY', randomBytes(16).toString('base64url')],
    ['TOTP_ENCRYPTION_KEY', randomBytes(32).toString('base64')],
    ['TOTP_ENCRYPTION_KEY', 'not a key'],
    ['JWT_PREVIOUS_PUBLIC_KEYS', 'nope'],
    ['JWT_PREVIOUS_PUBLIC_KEYS', JSON.stringify(previousJwk)],
    ['JWT_PREVIOUS_PUBLIC_KEYS', JSON.stringify([{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }])],
    ['JWT_PREVIOUS_PUBLIC_KEYS', JSON.stringify([{ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' }])],
    ['JWT_PREVIOUS_PUBLIC_KEYS', JSON.stringify([{ ...previousJwk, alg: 'RS256' }])],
    ['JWT_PREVIOUS_PUBLIC_KEYS', JSON.stringify([rsaPublic(1024)])],
    ['JWT_ALGORITHM', 'HS256'],
    ['JWT_ALGORITHM', 'none'],
    ['JWT_ALGORITHM', 'rs256'],
    ['API_URL', 'api.example.com'],
    ['HOOK_CUSTOM_CLAIMS', 'ftp://hooks.example.com/claims'],
    ['HOOK_CUSTOM_CLAIMS', 'http://hooks.example.com/claims'],
    ['HOOK_CUSTOM_CLAIMS', 'http://10.0.0.5/claims'],
    ['HOOK_CUSTOM_CLAIMS', 'a function name with spaces'],
    ['HOOK_CUSTOM_CLAIMS', 'f'.repeat(65)],
    ['ACCESS_TOKEN_TTL_SECONDS', '0'],
    ['ACCESS_TOKEN_TTL_SECONDS', '-1'],
    ['ACCESS_TOKEN_TTL_SECONDS', '1.5'],
    ['ACCESS_TOKEN_TTL_SECONDS', '15m'],
    ['ACCESS_TOKEN_TTL_SECONDS', '1e3'],
    ['ACCESS_TOKEN_TTL_SECONDS', '86401'],
    ['REFRESH_TOKEN_TTL_SECONDS', '59'],
    ['REFRESH_TOKEN_TTL_SECONDS', '31536001'],
    ['REFRESH_REUSE_GRACE_SECONDS', '301'],
    ['REFRESH_REUSE_GRACE_SECONDS', '-1'],
    ['SESSION_TOUCH_SECONDS', '3601'],
    ['SESSION_TOUCH_SECONDS', '-1'],
    ['PASSWORD_MIN_LENGTH', '7'],
    ['PASSWORD_MIN_LENGTH', '257'],
    ['PASSWORD_MIN_LENGTH', 'twelve'],
    ['ARGON2_MEMORY_KIB', '7'],
    ['ARGON2_MEMORY_KIB', '4194305'],
    ['ARGON2_TIME_COST', '0'],
    ['ARGON2_TIME_COST', '101'],
    ['ARGON2_PARALLELISM', '0'],
    ['ARGON2_PARALLELISM', '17'],
    ['RATE_LIMIT_LOGIN_PER_IP', '30'],
    ['RATE_LIMIT_LOGIN_PER_IP', '0/300'],
    ['RATE_LIMIT_LOGIN_PER_IP', '30/0'],
    ['RATE_LIMIT_LOGIN_PER_IP', '30/300/1'],
    ['RATE_LIMIT_LOGIN_PER_IP', '-1/300'],
    ['RATE_LIMIT_REGISTER_PER_IP', 'twenty/hour'],
    ['CORS_ALLOWED_ORIGINS', 'app.example.com'],
    ['CORS_ALLOWED_ORIGINS', 'https://ok.example.com,ftp://files.example.com'],
    ['LOG_LEVEL', 'verbose'],
  ])('%s=%j', (name, value) => {
    // Act
    const error = configError({ ...required(), [name]: value });

    // Assess: every problem names the variable (a JWK may have several wrong members), none other
    expect(error.problems.length).toBeGreaterThanOrEqual(1);
    for (const problem of error.problems) {
      expect(problem).toMatch(new RegExp(`^${name} `));
      expect(error.message).toContain(problem);
    }
  });
});

describe('parseConfig reports missing variables', () => {
  test.each(['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN', 'JWT_PRIVATE_KEY', 'TOTP_ENCRYPTION_KEY'])(
    '%s',
    (name) => {
      // Prepare
      const env: Record<string, string | undefined> = required();
      delete env[name];

      // Act
      const error = configError(env);

      // Assess
      expect(error.problems).toEqual([`${name} is required`]);
    },
  );

  test('an empty string is as missing as an absent variable', () => {
    // Act
    const error = configError({ ...required(), UPSTASH_REDIS_REST_TOKEN: '' });

    // Assess
    expect(error.problems).toEqual(['UPSTASH_REDIS_REST_TOKEN is required']);
  });
});

describe('one ConfigError lists every problem at once', () => {
  test('an empty environment names all four required variables', () => {
    // Act
    const error = configError({});

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect([...error.problems].sort()).toEqual([
      'JWT_PRIVATE_KEY is required',
      'TOTP_ENCRYPTION_KEY is required',
      'UPSTASH_REDIS_REST_TOKEN is required',
      'UPSTASH_REDIS_REST_URL is required',
    ]);
  });

  test('every bad and missing variable is in the one message', () => {
    // Prepare
    const env = {
      UPSTASH_REDIS_REST_TOKEN: REST_TOKEN,
      ACCESS_TOKEN_TTL_SECONDS: '0',
      PASSWORD_MIN_LENGTH: '4',
      ARGON2_TIME_COST: 'x',
      RATE_LIMIT_LOGIN_PER_IP: '30',
      LOG_LEVEL: 'loud',
    };

    // Act
    const error = configError(env);

    // Assess
    const named = [...new Set(error.problems.map((problem) => problem.split(' ')[0]))].sort();
    expect(named).toEqual([
      'ACCESS_TOKEN_TTL_SECONDS',
      'ARGON2_TIME_COST',
      'JWT_PRIVATE_KEY',
      'LOG_LEVEL',
      'PASSWORD_MIN_LENGTH',
      'RATE_LIMIT_LOGIN_PER_IP',
      'TOTP_ENCRYPTION_KEY',
      'UPSTASH_REDIS_REST_URL',
    ]);
    for (const problem of error.problems) expect(error.message).toContain(problem);
    expect(error.message.startsWith('Invalid configuration:\n')).toBe(true);
  });
});

describe('a ConfigError never echoes a secret value', () => {
  const secretD = privateJwk.d as string;

  test.each<[string, Record<string, string>]>([
    [
      'a private key with the wrong curve',
      { JWT_PRIVATE_KEY: JSON.stringify({ ...privateJwk, crv: 'X25519' }) },
    ],
    ['a private key with a non-string x', { JWT_PRIVATE_KEY: JSON.stringify({ ...privateJwk, x: 42 }) }],
    ['a truncated private key', { JWT_PRIVATE_KEY: JSON.stringify(privateJwk).slice(0, -2) }],
    ['a private key in an array', { JWT_PRIVATE_KEY: JSON.stringify([privateJwk]) }],
    [
      'a private key as a previous public key with a bad kty',
      {
        JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([{ ...privateJwk, kty: 'oct' }]),
      },
    ],
    ['a bad URL next to the token', { UPSTASH_REDIS_REST_URL: `http://:${REST_TOKEN}` }],
  ])('%s', (_, bad) => {
    // Act
    const error = configError({ ...required(), ...bad });

    // Assess
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.message).not.toContain(secretD);
    expect(error.message).not.toContain(REST_TOKEN);
    expect(JSON.stringify(error.problems)).not.toContain(secretD);
    expect(String(error.stack)).not.toContain(secretD);
  });
});

describe('the configuration table (lib/config-variables.json)', () => {
  const NAMES = Object.keys(CONFIG_VARIABLES) as VariableName[];

  test('parseConfig reads exactly the variables of the table, no other', () => {
    // Prepare: an environment that records which names are read
    const read = new Set<string>();
    const env = new Proxy(required(), {
      get(target, name: string) {
        read.add(name);
        return target[name];
      },
    });

    // Act
    parseConfig(env);

    // Assess
    expect([...read].sort()).toEqual([...NAMES].sort());
  });

  test('the required variables are exactly those without a default', () => {
    const requiredNames = NAMES.filter((name) => CONFIG_VARIABLES[name].default === undefined);
    expect(requiredNames.sort()).toEqual(Object.keys(required()).sort());
  });

  test.each(NAMES.filter((name) => CONFIG_VARIABLES[name].default !== undefined))(
    "%s: setting it to its table default changes nothing, so the default is the parser's",
    (name) => {
      expect(parseConfig({ ...required(), [name]: CONFIG_VARIABLES[name].default })).toEqual(
        parseConfig(required()),
      );
    },
  );

  test.each([
    ['https://eu1-redis.upstash.io', true],
    ['http://localhost:8079', true],
    ['http://127.0.0.1:8079', true],
    ['http://[::1]:8079', true],
  ])('UPSTASH_REDIS_REST_URL %s is accepted', (url) => {
    expect(parseConfig({ ...required(), UPSTASH_REDIS_REST_URL: url }).datastore.url).toBe(url);
  });

  test('secrets are marked: the signing key, the TOTP key, the hook secret, the datastore token, the providers’ secrets', () => {
    expect(NAMES.filter((name) => CONFIG_VARIABLES[name].secret).sort()).toEqual([
      'HOOK_SECRET',
      'JWT_PRIVATE_KEY',
      'OAUTH_APPLE_PRIVATE_KEY',
      'OAUTH_GITHUB_CLIENT_SECRET',
      'OAUTH_GOOGLE_CLIENT_SECRET',
      'OAUTH_OIDC_CLIENT_SECRET',
      'TOTP_ENCRYPTION_KEY',
      'UPSTASH_REDIS_REST_TOKEN',
    ]);
  });
});

describe('whole numbers keep to the bounds of their row in the table (min, max)', () => {
  const BOUNDED = (Object.keys(CONFIG_VARIABLES) as VariableName[]).flatMap((name) => {
    const { min, max } = CONFIG_VARIABLES[name];
    return min === undefined || max === undefined ? [] : [{ name, min, max }];
  });

  test.each(BOUNDED)('$name: $min and $max are accepted', ({ name, min, max }) => {
    expect(() => parseConfig({ ...required(), [name]: String(min) })).not.toThrow();
    expect(() => parseConfig({ ...required(), [name]: String(max) })).not.toThrow();
  });

  test.each(BOUNDED.filter(({ min }) => min > 0))(
    '$name: $min - 1 fails at cold start, naming it and its min',
    ({ name, min }) => {
      expect(configError({ ...required(), [name]: String(min - 1) }).problems).toEqual([
        `${name} must be at least ${min}`,
      ]);
    },
  );

  test.each(BOUNDED)('$name: $max + 1 fails at cold start, naming it and its max', ({ name, max }) => {
    expect(configError({ ...required(), [name]: String(max + 1) }).problems).toEqual([
      `${name} must be at most ${max}`,
    ]);
  });
});

describe('the passkeys relying party', () => {
  test('defaults to the host and origin of APP_URL and to APP_NAME', () => {
    const { webauthn } = parseConfig({
      ...required(),
      APP_URL: 'https://app.acme.example/',
      APP_NAME: 'Acme',
    });
    expect(webauthn).toEqual({
      rpId: 'app.acme.example',
      rpName: 'Acme',
      origins: ['https://app.acme.example'],
    });
  });

  test('WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME and WEBAUTHN_ORIGINS win', () => {
    const { webauthn } = parseConfig({
      ...required(),
      WEBAUTHN_RP_ID: 'acme.example',
      WEBAUTHN_RP_NAME: 'Acme Accounts',
      WEBAUTHN_ORIGINS: 'https://app.acme.example, https://admin.acme.example/',
    });
    expect(webauthn).toEqual({
      rpId: 'acme.example',
      rpName: 'Acme Accounts',
      origins: ['https://app.acme.example', 'https://admin.acme.example'],
    });
  });

  test.each(['https://acme.example', 'acme.example:443', 'acme.example/path'])(
    'an RP ID that is not a domain (%j) is refused',
    (rpId) => {
      expect(configError({ ...required(), WEBAUTHN_RP_ID: rpId }).problems).toEqual([
        'WEBAUTHN_RP_ID must be a domain name (no scheme, port or path)',
      ]);
    },
  );
});

describe('the signing algorithm and its key (JWT_ALGORITHM)', () => {
  const keyOf = (alg: 'EdDSA' | 'RS256' | 'ES256') => {
    const pair =
      alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : alg === 'ES256'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('ed25519');
    return {
      privateJwk: pair.privateKey.export({ format: 'jwk' }),
      publicJwk: pair.publicKey.export({ format: 'jwk' }),
    };
  };
  const keys = { EdDSA: keyOf('EdDSA'), RS256: keyOf('RS256'), ES256: keyOf('ES256') };

  test.each(['EdDSA', 'RS256', 'ES256'] as const)('%s with a key of its kind', (alg) => {
    const config = parseConfig({
      ...required(),
      JWT_ALGORITHM: alg,
      JWT_PRIVATE_KEY: JSON.stringify(keys[alg].privateJwk),
    });
    expect(config.jwt).toMatchObject({ algorithm: alg, privateKey: keys[alg].privateJwk });
  });

  test.each([
    ['RS256', 'EdDSA', 'an Ed25519 key (kty OKP, crv Ed25519), which signs EdDSA'],
    ['ES256', 'RS256', 'an RSA key (kty RSA) of at least 2048 bits, which signs RS256'],
    ['EdDSA', 'ES256', 'an EC P-256 key (kty EC, crv P-256), which signs ES256'],
  ] as const)(
    'JWT_ALGORITHM=%s with a key for %s fails at cold start, saying what to do',
    (alg, kind, what) => {
      const error = configError({
        ...required(),
        JWT_ALGORITHM: alg,
        JWT_PRIVATE_KEY: JSON.stringify(keys[kind].privateJwk),
      });
      expect(error.problems).toEqual([
        `JWT_PRIVATE_KEY is ${what}, but JWT_ALGORITHM is ${alg}: make a key with \`npm run keygen -- --alg ${alg}\`, or set JWT_ALGORITHM=${kind}`,
      ]);
      expect(error.message).not.toContain(String(keys[kind].privateJwk.d));
    },
  );

  test('an RSA private key without its CRT members, or under 2048 bits, is refused', () => {
    const { p: _p, ...withoutP } = keys.RS256.privateJwk;
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    for (const jwk of [withoutP, short]) {
      const error = configError({
        ...required(),
        JWT_ALGORITHM: 'RS256',
        JWT_PRIVATE_KEY: JSON.stringify(jwk),
      });
      expect(error.problems).toEqual([
        'JWT_PRIVATE_KEY must be a private JWK: an RSA key (kty RSA) of at least 2048 bits, with its private members',
      ]);
    }
  });

  test('previous keys may be of another algorithm (a migration from EdDSA to RS256)', () => {
    const config = parseConfig({
      ...required(),
      JWT_ALGORITHM: 'RS256',
      JWT_PRIVATE_KEY: JSON.stringify(keys.RS256.privateJwk),
      JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([keys.EdDSA.publicJwk, keys.ES256.publicJwk]),
    });
    expect(config.jwt.previousPublicKeys).toEqual([keys.EdDSA.publicJwk, keys.ES256.publicJwk]);
  });

  test('JWT_ISSUER wins over API_URL, exactly as written; API_URL loses its trailing slash', () => {
    expect(parseConfig({ ...required(), API_URL: 'https://auth.acme.example/' })).toMatchObject({
      apiUrl: 'https://auth.acme.example',
      jwt: { issuer: 'https://auth.acme.example' },
    });
    expect(
      parseConfig({
        ...required(),
        API_URL: 'https://auth.acme.example',
        JWT_ISSUER: 'https://issuer.acme.example/',
      }).jwt.issuer,
    ).toBe('https://issuer.acme.example/');
  });
});

describe('the custom claims hook (HOOK_CUSTOM_CLAIMS, HOOK_SECRET)', () => {
  test.each([
    ['claims-hook', { kind: 'lambda', functionName: 'claims-hook' }],
    ['claims-hook:live', { kind: 'lambda', functionName: 'claims-hook:live' }],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:claims-hook',
      { kind: 'lambda', functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:claims-hook' },
    ],
  ])('%s is a Lambda function, no secret needed', (value, hook) => {
    expect(parseConfig({ ...required(), HOOK_CUSTOM_CLAIMS: value }).customClaimsHook).toEqual(hook);
  });

  test.each([
    'https://hooks.acme.example/claims',
    'http://localhost:8080/claims',
    'http://127.0.0.1:9/claims',
  ])('%s is a URL hook, signed with HOOK_SECRET', (url) => {
    expect(
      parseConfig({ ...required(), HOOK_CUSTOM_CLAIMS: url, HOOK_SECRET: HOOK_SECRET }).customClaimsHook,
    ).toEqual({ kind: 'url', url, secret: Buffer.from(HOOK_SECRET.slice('whsec_'.length), 'base64') });
  });

  test.each([
    ['missing', ''],
    ['without its prefix', HOOK_SECRET.slice('whsec_'.length)],
    ['too short', `whsec_${randomBytes(16).toString('base64')}`],
    ['not base64', 'whsec_not base64!'],
  ])('a URL hook with a secret %s fails, naming HOOK_SECRET and no value', (_, secret) => {
    const error = configError({
      ...required(),
      HOOK_CUSTOM_CLAIMS: 'https://hooks.acme.example/claims',
      HOOK_SECRET: secret,
    });
    expect(error.problems).toEqual([
      'HOOK_SECRET must be whsec_ followed by 24–64 bytes in base64 when HOOK_CUSTOM_CLAIMS is a URL',
    ]);
    if (secret) expect(error.message).not.toContain(secret);
  });
});
