// `npm run bench:datastore`: what the REST layer costs. Per-command latency of GET, SET and
// INCR through @upstash/redis → local REST datastore → backend, against ioredis straight to
// the same backend. Median over RUNS runs of OPS sequential commands. Embedded backend always;
// also a real Redis when REDIS_URL is set.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis as RestRedis } from '@upstash/redis';
import { Redis as IoRedis } from 'ioredis';
import { startDatastore } from '../dev/datastore/server';

const RUNS = 15;
const OPS = 300;
const WARMUP_OPS = 200;

type Call = (key: string) => Promise<unknown>;

interface Row {
  backend: string;
  command: string;
  restMicros: number;
  directMicros: number;
}

/** Median time per command, in microseconds, of RUNS runs of OPS sequential calls. */
async function measure(call: Call, key: string): Promise<number> {
  for (let i = 0; i < WARMUP_OPS; i++) await call(key);
  const perOp: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    for (let i = 0; i < OPS; i++) await call(key);
    perOp.push(((performance.now() - start) * 1000) / OPS);
  }
  perOp.sort((a, b) => a - b);
  return perOp[Math.floor(perOp.length / 2)] ?? Number.NaN;
}

async function benchBackend(label: string, redisUrl: string | undefined): Promise<Row[]> {
  const datastore = await startDatastore({ redisUrl });
  const rest = new RestRedis({
    url: datastore.url,
    token: datastore.token,
    enableTelemetry: false,
    enableAutoPipelining: false,
    automaticDeserialization: false,
  });
  const direct = new IoRedis(datastore.redisUrl);
  const prefix = `bench:datastore:${randomBytes(4).toString('hex')}:`;
  const commands: Array<[string, Call, Call]> = [
    ['SET', (k) => rest.set(k, 'value'), (k) => direct.set(k, 'value')],
    ['GET', (k) => rest.get(k), (k) => direct.get(k)],
    ['INCR', (k) => rest.incr(`${k}:n`), (k) => direct.incr(`${k}:n`)],
  ];
  const rows: Row[] = [];
  try {
    for (const [command, viaRest, viaIoredis] of commands) {
      const restMicros = await measure(viaRest, `${prefix}rest`);
      const directMicros = await measure(viaIoredis, `${prefix}direct`);
      rows.push({ backend: label, command, restMicros, directMicros });
    }
    const { command, total } = datastore.counts();
    if (command !== total)
      throw new Error(`expected only single-command requests, got ${JSON.stringify(datastore.counts())}`);
    await direct.del(`${prefix}rest`, `${prefix}direct`, `${prefix}rest:n`, `${prefix}direct:n`);
  } finally {
    direct.disconnect();
    await datastore.close();
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const header = ['backend', 'command', 'REST µs/op', 'ioredis µs/op', 'REST/ioredis'];
  const lines = rows.map((row) => [
    row.backend,
    row.command,
    row.restMicros.toFixed(1),
    row.directMicros.toFixed(1),
    `${(row.restMicros / row.directMicros).toFixed(1)}×`,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i]?.length ?? 0)),
  );
  const format = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

/** The floor under any REST call: one fetch POST to a node:http server that answers at once. */
async function measureBareFetch(): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":"OK"}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    return await measure(async () => (await fetch(url, { method: 'POST', body: '["get","k"]' })).text(), '');
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `Datastore latency: median of ${RUNS} runs × ${OPS} sequential commands (Node ${process.version})\n`,
  );
  const rows = await benchBackend('embedded', undefined);
  if (process.env.REDIS_URL) rows.push(...(await benchBackend('redis', process.env.REDIS_URL)));
  printTable(rows);
  const floor = await measureBareFetch();
  console.log(`\nFloor: fetch POST to an empty node:http server takes ${floor.toFixed(1)} µs/op.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
