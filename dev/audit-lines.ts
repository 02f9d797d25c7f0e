// `npm start` shows each audit event as it happens, one compact line (event, user, IP, outcome), so
// a developer sees a stuffing run or a lockout live. The functions log audit events as Powertools
// JSON lines (`{"message":"audit","event":…}`, lib/audit.ts); serverless offline prints them among
// its own output, which is otherwise dropped.

/** The fields worth a glance, in this order, after the event: who, from where, why, what came of it. */
const SHOWN = [
  'userId',
  'ip',
  'reason',
  'limit',
  'factor',
  'method',
  'mail',
  'command',
  'operator',
  'outcome',
  'retryAfterSeconds',
  'revokedSessions',
];

/** The compact line of one log line, or null when it is not an audit event. */
export function auditLine(line: string): string | null {
  if (!line.includes('"audit"')) return null;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (entry.message !== 'audit' || typeof entry.event !== 'string') return null;
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.slice(11, 19) : '';
  const fields = SHOWN.filter((name) => entry[name] !== undefined && entry[name] !== null).map(
    (name) => `${name === 'userId' ? 'user' : name}=${String(entry[name])}`,
  );
  return `  ${time} audit ${entry.event.padEnd(22)} ${fields.join(' ')}`.trimEnd();
}

/** Splits serverless offline's output into lines (chunks may cut them) and hands on the audit ones. */
export function auditLines(print: (line: string) => void): (chunk: string) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const shown = auditLine(line);
      if (shown) print(shown);
    }
  };
}
