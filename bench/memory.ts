import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpEvent } from '../dev/http-event';
import { type Bundle, ROOT, SCRATCH } from './bundles';
import type { Endpoint } from './endpoints';
import type { Fixtures } from './fixtures';

export interface Memory {
  fn: string;
  route: string;
  requests: number;
  /** Peak resident set of a fresh process that loaded the bundle and served `requests` requests. */
  maxRssMiB: number;
  /** What serverless.yml gives the function, and why. */
  memorySizeMb: number | null;
  reason: string;
}

const PROBE = join(__dirname, 'probe.js');

/**
 * `memorySize` per function from serverless.yml: a number on the function, a `${self:custom.…}`
 * reference (its reason is the comment above the custom value), or the provider's default.
 */
export function memorySizes(): Map<string, { memorySizeMb: number | null; reason: string }> {
  const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const section = (name: string) => {
    const start = yml.search(new RegExp(`^${name}:`, 'm'));
    if (start < 0) return '';
    const rest = yml.slice(start + name.length + 1);
    const end = rest.search(/^\S/m);
    return end < 0 ? rest : rest.slice(0, end);
  };
  const providerDefault = Number(/^ {2}memorySize:\s*(\d+)/m.exec(section('provider'))?.[1]) || null;
  const custom = new Map<string, { value: number; reason: string }>();
  const customLines = section('custom').split('\n');
  customLines.forEach((line, i) => {
    const match = /^ {2}([\w-]+):\s*(\d+)\s*$/.exec(line);
    if (!match?.[1]) return;
    const comments: string[] = [];
    for (let j = i - 1; j >= 0 && /^\s*#/.test(customLines[j] ?? ''); j--) {
      comments.unshift((customLines[j] ?? '').replace(/^\s*#\s?/, ''));
    }
    custom.set(match[1], { value: Number(match[2]), reason: comments.join(' ') });
  });
  const sizes = new Map<string, { memorySizeMb: number | null; reason: string }>();
  for (const block of section('functions')
    .split(/^ {2}(?=[\w-]+:\s*$)/m)
    .slice(1)) {
    const fn = block.slice(0, block.indexOf(':'));
    const value = /^\s+memorySize:\s*(.+?)\s*$/m.exec(block)?.[1];
    const reference = value ? /^\$\{self:custom\.([\w-]+)\}$/.exec(value)?.[1] : undefined;
    if (reference && custom.has(reference)) {
      const { value: mb, reason } = custom.get(reference) as { value: number; reason: string };
      sizes.set(fn, { memorySizeMb: mb, reason: reason || `custom.${reference}` });
    } else if (value && /^\d+$/.test(value))
      sizes.set(fn, { memorySizeMb: Number(value), reason: 'set on the function' });
    else
      sizes.set(fn, {
        memorySizeMb: providerDefault,
        reason: 'provider default: no Argon2, so the work is waiting on the datastore, not CPU',
      });
  }
  return sizes;
}

/** Peak RSS of a fresh process per function that loads its bundle and serves `requests` warm requests. */
export async function measureMemory(
  bundles: Bundle[],
  endpoints: Endpoint[],
  fixtures: Fixtures,
  env: NodeJS.ProcessEnv,
  requests: number,
): Promise<Memory[]> {
  mkdirSync(SCRATCH, { recursive: true });
  const sizes = memorySizes();
  const results: Memory[] = [];
  for (const endpoint of endpoints) {
    const bundle = bundles.find((b) => b.fn === endpoint.fn);
    if (!bundle) continue;
    const events = (await endpoint.requests(fixtures, requests)).map(httpEvent);
    const file = join(SCRATCH, `requests-${endpoint.fn}.json`);
    writeFileSync(file, JSON.stringify({ events, status: endpoint.status }));
    // Asynchronous: the loopback Lambda endpoint lives in this process and answers the mail jobs meanwhile.
    const { stdout: output } = await promisify(execFile)(
      process.execPath,
      [PROBE, 'serve', bundle.path, file],
      {
        env,
        encoding: 'utf8',
      },
    );
    const { maxRssKiB } = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { maxRssKiB: number };
    const size = sizes.get(endpoint.fn) ?? { memorySizeMb: null, reason: 'not in serverless.yml' };
    results.push({ fn: endpoint.fn, route: endpoint.route, requests, maxRssMiB: maxRssKiB / 1024, ...size });
  }
  return results;
}
