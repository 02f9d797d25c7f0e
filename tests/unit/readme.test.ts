// The README documents the API on its own (whoever clones the repository has nothing else), and
// its three tables are the code's tables (the route table with its round-trip budgets): a test
// fails on any difference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRoundTrips } from '../../dev/round-trips';
import { CONFIG_VARIABLES } from '../../lib/config';
import { ERROR_CODES } from '../../lib/errors';
import { ROUTES } from '../../lib/routes';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
/** The rows of every markdown table, as lists of cells. */
const rows = readme
  .split('\n')
  .filter((line) => line.startsWith('|') && !/^\|[-|]+\|$/.test(line))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );

test('leads with the two commands', () => {
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(firstBlock).toContain('npm ci && npm start');
  expect(firstBlock).toContain('npm ci && npm test');
});

test('stands alone: no link outside the repository', () => {
  expect(readme).not.toMatch(/\.\.\/shared|\]\(\.\.\//);
});

test('the API table is the route table', () => {
  const documented = rows.flatMap(
    (cells) => /^`(GET|POST|PUT|PATCH|DELETE) (\S+)`/.exec(cells[0] ?? '') ?? [],
  );
  const listed = rows
    .map((cells) => /^`(GET|POST|PUT|PATCH|DELETE) (\S+)`/.exec(cells[0] ?? ''))
    .filter((match) => match !== null)
    .map((match) => `${match[1]} ${match[2]}`);
  expect(documented.length).toBeGreaterThan(0);
  expect(listed).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`));
  for (const route of ROUTES) {
    const row = rows.find((cells) => cells[0]?.startsWith(`\`${route.method} ${route.path}\``)) ?? [];
    expect([route.fn, row[1]]).toEqual([route.fn, route.auth ? 'Bearer' : '–']);
    expect([route.fn, row[2]?.split(' ')[0]]).toEqual([route.fn, String(route.status)]);
    expect([route.fn, row[3]]).toEqual([route.fn, describeRoundTrips(route.roundTrips)]);
    for (const code of route.errors)
      expect([route.fn, row[4]]).toEqual([route.fn, expect.stringContaining(`\`${code}\``)]);
  }
});

test('the error table is the error registry', () => {
  const listed = rows
    .filter((cells) => /^\d{3}$/.test(cells[0] ?? '') && /^`[a-z_]+`$/.test(cells[1] ?? ''))
    .map((cells) => [Number(cells[0]), (cells[1] ?? '').slice(1, -1)]);
  expect(listed).toEqual(Object.entries(ERROR_CODES).map(([code, { status }]) => [status, code]));
});

test('the configuration table is the configuration table', () => {
  const listed = rows
    .filter((cells) => /^`[A-Z0-9_]+`$/.test(cells[0] ?? ''))
    .map((cells) => [(cells[0] ?? '').slice(1, -1), cells[1], cells[2] === 'yes', cells[3], cells[4]]);
  expect(listed).toEqual(
    Object.entries(CONFIG_VARIABLES).map(([name, v]) => [
      name,
      v.default === undefined ? 'required' : v.default === '' ? '(empty)' : `\`${v.default}\``,
      v.secret,
      v.min === undefined ? '' : `${v.min}–${v.max}`,
      v.description,
    ]),
  );
});
