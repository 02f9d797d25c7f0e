import { Console } from 'node:console';
import { format } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from './config';
import { writeLine } from './stdio';

/** The console methods Powertools' Logger prints with (`printLog`, buffered logs, `trace`). */
const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Powertools' Logger makes its own `Console` over `process.stdout` and `process.stderr` when it is
 * constructed, and Node makes those streams on first access: for pipes (as in Lambda) that loads
 * `node:net` and two stream wrappers, ≈3–5 ms of every cold start (bench: a cold import with and
 * without), or of the first request that logs if made at its first line (making stdout on a pipe:
 * 5.6–6.5 ms profiled, `createWritableStdioStream`, in the bench's probe). This Logger is the
 * same class with the same output (a JSON line per entry: on stdout, or on stderr for `warn` and
 * `error`, as a Console writes them; `trace` as `log`). Inside Lambda (and serverless offline's
 * workers) it writes each line to the descriptor (lib/stdio.ts), never making the streams;
 * elsewhere (tests, tools) through a Console over them, made at the first line printed.
 * (`POWERTOOLS_DEV`, which would select the global console, is not a setting of this service.)
 */
class ServiceLogger extends Logger {}
Object.defineProperty(ServiceLogger.prototype, 'setConsole', {
  value(this: { console: Pick<Console, (typeof METHODS)[number]> }) {
    let made: Console | undefined;
    const real = (): Console => {
      made ??= new Console({ stdout: process.stdout, stderr: process.stderr });
      return made;
    };
    const inLambda = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
    const lazy = {} as Pick<Console, (typeof METHODS)[number]>;
    for (const method of METHODS) {
      // `trace` prints like `log`, without a stack trace, as Powertools patches it (aligned with Lambda).
      const target = method === 'trace' ? 'log' : method;
      const fd = target === 'warn' || target === 'error' ? 2 : 1;
      lazy[method] = inLambda
        ? (...args: unknown[]) => writeLine(fd, format(...args))
        : (...args: unknown[]) => real()[target](...args);
    }
    this.console = lazy;
  },
});

const make = (level: Config['logLevel']): Logger =>
  new ServiceLogger({ serviceName: 'account-service', logLevel: level });

let early: { level: Config['logLevel']; logger: Logger } | undefined;

/**
 * Makes the container's logger while its first request waits on the SSM read (lib/lambda.ts):
 * Powertools' first construction compiles its code, ≈1.7 ms against 0.2 ms for a second one
 * (measured with `node -e`), which the request would otherwise pay after the read. The first
 * `createLogger` at that level takes it; at another level (set in SSM), it is left unused.
 */
export const makeLoggerEarly = (level: Config['logLevel']): Logger => {
  early = { level, logger: make(level) };
  return early.logger;
};

/** The service's structured logger (Powertools), named `account-service`, at `level`. */
export const createLogger = (level: Config['logLevel']): Logger => {
  const made = early?.level === level ? early.logger : make(level);
  early = undefined;
  return made;
};
