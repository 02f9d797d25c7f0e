import { readCommonPasswords } from '../../lib/common-passwords';
import {
  type Argon2Params,
  checkPasswordPolicy,
  createPasswordHasher,
  isCommonPassword,
} from '../../lib/passwords';

const CHEAP: Argon2Params = { memoryKib: 1024, timeCost: 1, parallelism: 1 };
const owner = { minLength: 12, email: 'ada.lovelace@example.com', name: 'Ada Lovelace' };

describe('checkPasswordPolicy', () => {
  test.each<[string, string, Partial<typeof owner>, string | null]>([
    ['12 characters, not common', 'tr0ub4dor&3x', {}, null],
    ['a passphrase', 'correct horse battery staple', {}, null],
    ['11 characters', 'tr0ub4dor&3', {}, 'must be at least 12 characters'],
    ['empty', '', {}, 'must be at least 12 characters'],
    [
      '15 characters under a minimum of 16',
      'fifteen chars!!',
      { minLength: 16 },
      'must be at least 16 characters',
    ],
    ['16 characters under a minimum of 16', 'sixteen chars!!!', { minLength: 16 }, null],
    ['12 emoji (24 UTF-16 units)', '🔑'.repeat(12), {}, null],
    ['11 emoji (22 UTF-16 units)', '🔑'.repeat(11), {}, 'must be at least 12 characters'],
    [
      '6 decomposed é: 12 code points, 6 after NFKC',
      'e\u0301'.repeat(6),
      {},
      'must be at least 12 characters',
    ],
    ['spaces count', '     a     b', {}, null],
    ['on the common list', 'qwerty123456', {}, 'is too common; choose a less predictable password'],
    ['on the list, other case', 'QWERTY123456', {}, 'is too common; choose a less predictable password'],
    ['on the list, another entry', '1q2w3e4r5t6y', {}, 'is too common; choose a less predictable password'],
    [
      'on the list in fullwidth form (NFKC)',
      'ｑｗｅｒｔｙ１２３４５６',
      {},
      'is too common; choose a less predictable password',
    ],
    ['the email', 'ada.lovelace@example.com', {}, 'must not be your email or name'],
    ['the email in capitals', 'ADA.LOVELACE@EXAMPLE.COM', {}, 'must not be your email or name'],
    ['the name, other case', 'ada lovelace', {}, 'must not be your email or name'],
    [
      'the name with padding the stored name has',
      'Ada Lovelace',
      { name: '  Ada Lovelace ' },
      'must not be your email or name',
    ],
    ['the name in fullwidth form (NFKC)', 'Ａｄａ Ｌｏｖｅｌａｃｅ', {}, 'must not be your email or name'],
    ['the email plus one character', 'ada.lovelace@example.com!', {}, null],
  ])('%s', (_, password, context, expected) => {
    // Act
    const problem = checkPasswordPolicy(password, { ...owner, ...context });

    // Assess
    expect(problem).toBe(expected);
  });

  test('length comes first: a short common password is "too short"', () => {
    expect(checkPasswordPolicy('password', { ...owner, minLength: 12 })).toBe(
      'must be at least 12 characters',
    );
  });
});

describe('isCommonPassword', () => {
  test.each([
    ['qwerty123456', true],
    ['Qwerty123456', true],
    ['password', true],
    ['PASSWORD', true],
    ['password123', true],
    ['iloveyou', true],
    ['ｐａｓｓｗｏｒｄ', true],
    // docs/decisions.md "Password rules": the list bites at the default minimum length of 12.
    ['123456789012', true],
    ['password1234', true],
    ['Password1234', true],
    ['qwertyuiop123', true],
    ['iloveyou1234', true],
    // Not a whole entry: neither a prefix, nor two entries across a line break.
    ['password12345678901', false],
    ['password\n123456789012', false],
    ['correct horse battery staple', false],
    ['tr0ub4dor&3x', false],
    ['', false],
  ])('%j → %s', (password, expected) => {
    expect(isCommonPassword(password)).toBe(expected);
  });
});

describe('the common-password list', () => {
  test('bites at the default minimum: at least 5,000 entries of 12 or more characters', () => {
    const entries = readCommonPasswords().toString('utf8').split('\n');
    const long = new Set(entries.filter((entry) => [...entry].length >= 12));
    expect(long.size).toBeGreaterThanOrEqual(5000);
  });
});

describe('createPasswordHasher (cheap parameters)', () => {
  const hasher = createPasswordHasher(CHEAP);

  test('hash then verify: the right password matches, others do not', async () => {
    // Prepare
    const password = 'correct horse battery staple';

    // Act
    const hash = await hasher.hash(password);

    // Assess
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(hash).not.toContain(password);
    await expect(hasher.verify(hash, password)).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery stapl')).resolves.toBe(false);
    await expect(hasher.verify(hash, ' correct horse battery staple')).resolves.toBe(false);
    await expect(hasher.verify(hash, 'CORRECT HORSE BATTERY STAPLE')).resolves.toBe(false);
  });

  test('every hash has its own salt', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password here'), hasher.hash('same password here')]);
    expect(a).not.toBe(b);
  });

  test.each([
    ['composed é', 'caf\u00e9 au lait, s’il vous plaît', 'cafe\u0301 au lait, s’il vous plai\u0302t'],
    ['decomposed é', 'cafe\u0301 au lait, s’il vous plai\u0302t', 'caf\u00e9 au lait, s’il vous plaît'],
    ['fullwidth', 'ｐａｓｓｐｈｒａｓｅ 123', 'passphrase 123'],
    ['ligature', 'ﬁnal answer 42', 'final answer 42'],
  ])(
    'NFKC: a password hashed in %s form verifies in the other form',
    async (_, hashedForm, presentedForm) => {
      // Prepare
      expect(hashedForm).not.toBe(presentedForm);
      const hash = await hasher.hash(hashedForm);

      // Act & assess
      await expect(hasher.verify(hash, presentedForm)).resolves.toBe(true);
    },
  );

  test.each([
    ['garbage', 'not-a-hash'],
    ['empty', ''],
    ['a bcrypt hash', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
    ['a truncated argon2 hash', '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ'],
    ['an argon2 hash with a broken salt', '$argon2id$v=19$m=1024,t=1,p=1$!!!$AAAA'],
  ])('verify against a malformed stored hash (%s) fails closed', async (_, hash) => {
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(false);
  });

  test('needsRehash: false for a hash made with the current parameters', async () => {
    expect(hasher.needsRehash(await hasher.hash('some password 1'))).toBe(false);
  });

  test.each<[string, Argon2Params]>([
    ['more memory', { ...CHEAP, memoryKib: 2048 }],
    ['more time', { ...CHEAP, timeCost: 2 }],
    ['more lanes', { ...CHEAP, parallelism: 2 }],
  ])('needsRehash: true for a hash made with %s', async (_, older) => {
    // Prepare
    const oldHash = await createPasswordHasher(older).hash('some password 1');

    // Act & assess
    expect(hasher.needsRehash(oldHash)).toBe(true);
    await expect(hasher.verify(oldHash, 'some password 1')).resolves.toBe(true);
  });

  test.each([
    ['argon2i', '$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo'],
    ['argon2d', '$argon2d$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo'],
    ['version 16', '$argon2id$v=16$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo'],
    ['garbage', 'not-a-hash'],
  ])('needsRehash: true for %s', (_, hash) => {
    expect(hasher.needsRehash(hash)).toBe(true);
  });

  test('verifyDummy resolves without telling anything', async () => {
    await expect(hasher.verifyDummy('any password at all')).resolves.toBeUndefined();
  });
});

describe('createPasswordHasher (real parameters)', () => {
  test('the default cost m=19456 KiB, t=2, p=1 is in the PHC string', async () => {
    // Prepare
    const hasher = createPasswordHasher({ memoryKib: 19_456, timeCost: 2, parallelism: 1 });

    // Act
    const hash = await hasher.hash('correct horse battery staple');

    // Assess
    expect(hash).toContain('$argon2id$v=19$m=19456,t=2,p=1$');
    expect(hasher.needsRehash(hash)).toBe(false);
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
  });
});
