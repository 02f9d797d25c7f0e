import { byCodeUnits, iso } from '../../lib/records';

describe('byCodeUnits (how lists sort, without an ICU collator)', () => {
  test('orders the ISO 8601 times iso writes as time order', () => {
    // Prepare: times across a second, a minute, a day, a month and a year boundary, shuffled
    const times = [1_700_000_000_000, 1_699_999_999_999, 1_735_689_600_000, 1_735_689_599_999, 86_400_000, 0];
    const shuffled = [times[2], times[5], times[0], times[3], times[1], times[4]].map((ms) => iso(ms));

    // Act
    const newestFirst = [...shuffled].sort((a, b) => byCodeUnits(b, a));

    // Assess
    expect(newestFirst).toEqual([...times].sort((a, b) => b - a).map((ms) => iso(ms)));
  });

  test('is antisymmetric and zero only for equal strings', () => {
    expect(byCodeUnits('a', 'b')).toBe(-1);
    expect(byCodeUnits('b', 'a')).toBe(1);
    expect(byCodeUnits('Z', 'a')).toBe(-1); // code units, not a locale's case folding
    expect(byCodeUnits('same', 'same')).toBe(0);
  });
});
