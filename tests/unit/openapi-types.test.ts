// The generated client types (tests/types/openapi.d.ts, which `npm run typecheck` checks
// tests/types/client.ts against) are exactly what openapi-typescript makes of the document now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../build/openapi';

const root = join(__dirname, '../..');

test('tests/types/openapi.d.ts is current (regenerate: npm run openapi:types)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'openapi-types-'));
  try {
    writeFileSync(join(scratch, 'openapi.json'), JSON.stringify(buildOpenApiDocument()));
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/openapi-typescript/bin/cli.js'),
        join(scratch, 'openapi.json'),
        '-o',
        join(scratch, 'openapi.d.ts'),
      ],
      { stdio: 'pipe', timeout: 60_000 },
    );
    expect(readFileSync(join(scratch, 'openapi.d.ts'), 'utf8')).toBe(
      readFileSync(join(root, 'tests/types/openapi.d.ts'), 'utf8'),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}, 60_000);
