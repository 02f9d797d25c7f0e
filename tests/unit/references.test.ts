// The project stands alone: no tracked file cites the contract document it does not hold, whose
// facts live in the README and docs/ (the name is built here so that this file does not cite it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const CONTRACT = ['API', 'md'].join('.');

test(`no tracked file mentions ${CONTRACT} (notes aside)`, () => {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path !== '' && !/(^|\/)notes\//.test(path) && existsSync(join(root, path)));
  expect(tracked.length).toBeGreaterThan(100);
  const citing = tracked.filter((path) => readFileSync(join(root, path)).includes(CONTRACT));
  expect(citing).toEqual([]);
});
