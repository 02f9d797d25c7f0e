import { createLogger, makeLoggerEarly } from '../../lib/logger';

describe('the logger made early (while the first request waits on SSM: lib/lambda.ts)', () => {
  test('is the one the first createLogger at its level returns, and only the first', () => {
    // Prepare
    const early = makeLoggerEarly('WARN');

    // Act
    const first = createLogger('WARN');
    const second = createLogger('WARN');

    // Assess
    expect(first).toBe(early);
    expect(second).not.toBe(early);
    expect(second.getLevelName()).toBe('WARN');
  });

  test('is left unused when the configuration asks for another level', () => {
    // Prepare
    const early = makeLoggerEarly('DEBUG');

    // Act
    const made = createLogger('ERROR');

    // Assess: at the level asked for, and the early one is dropped rather than handed out later
    expect(made).not.toBe(early);
    expect(made.getLevelName()).toBe('ERROR');
    expect(createLogger('DEBUG')).not.toBe(early);
  });
});
