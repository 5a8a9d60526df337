// Storage and replica benchmark: real henged processes (release build) on SQLite and
// on a PostgreSQL the benchmark starts (scripts/test-postgres.sh, fsync on), loopback.
//
//   1. write throughput: --writers concurrent writers (each PUTs one field of its own
//      device, back to back) for --seconds: writes/s and latency p50/p99, on SQLite,
//      on PostgreSQL with one replica, and with two replicas sharing the writers;
//   2. cross-replica push: a device streams from replica A, --writes writes go through
//      replica B one at a time: write sent → event read on A, p50/p99/max.
//
// Every henged runs with the operator rate limit off (--operator-rate, 0 unless given):
// the benchmark measures the store, not the limiter. A write that fails ends the run
// with exit 1, and the figure it would have spoiled is not printed.
//
// Usage: node bench/replica_bench.mjs --henged build/release/src/henged/henged
//          [--writers 16] [--seconds 10] [--writes 1000] [--operator-rate 0]

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ADMIN, Stream, expectStatus, freePort, ms, pct, request, waitUntil } from './lib.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const HENGED = args.henged ?? 'build/release/src/henged/henged';
const WRITERS = Number(args.writers ?? 16);
const SECONDS = Number(args.seconds ?? 10);
const WRITES = Number(args.writes ?? 1000);
const OPERATOR_RATE = args['operator-rate'] ?? '0';
const PG_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'test-postgres.sh');

async function startHenged(extra) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'henge-bench-'));
  const proc = spawn(HENGED, ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--admin-token', ADMIN,
    '--log-level', 'warn', '--drain', '1', '--operator-rate', OPERATOR_RATE, ...extra],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  const deadline = performance.now() + 15000;
  for (;;) {
    if (await request(port, 'GET', '/readyz').then((r) => r.status === 200, () => false)) break;
    if (performance.now() > deadline) throw new Error(`henged did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// `writers` loops, writer i on replica ports[i % ports.length], for SECONDS.
async function throughput(ports, label) {
  for (let i = 0; i < WRITERS; ++i) {
    expectStatus(await request(ports[0], 'POST', '/v1/devices', { id: `w${i}` }), [201], `register w${i}`);
  }
  const latencies = [];
  let failed = 0;
  let first;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: WRITERS }, async (_, i) => {
    const port = ports[i % ports.length];
    for (let n = 0; performance.now() < end; ++n) {
      const t0 = performance.now();
      const r = await request(port, 'PUT', `/v1/devices/w${i}/config/n`, n);
      if (r.status === 200) {
        latencies.push(performance.now() - t0);
      } else {
        ++failed;
        first ??= r;
      }
    }
  }));
  if (failed > 0) {
    throw new Error(`${label}: ${failed} of ${failed + latencies.length} writes failed ` +
      `(the first: HTTP ${first.status} ${JSON.stringify(first.json ?? '')}); no figure`);
  }
  latencies.sort((a, b) => a - b);
  console.log(`${label.padEnd(34)} ${(latencies.length / SECONDS).toFixed(0).padStart(6)} writes/s  ` +
    `p50 ${ms(pct(latencies, 50))} ms  p99 ${ms(pct(latencies, 99))} ms`);
}

async function crossReplicaPush(a, b) {
  const probe = expectStatus(await request(b.port, 'POST', '/v1/devices', { id: 'probe' }), [201], 'register probe');
  const arrivals = new Map();
  const stream = new Stream(a.port, probe.json.token, (rev, t) => arrivals.set(rev, t));
  await waitUntil(() => arrivals.size > 0, 10000, 'the probe stream on A');
  const latencies = [];
  for (let i = 0; i < WRITES; ++i) {
    const t0 = performance.now();
    const r = expectStatus(await request(b.port, 'PUT', '/v1/devices/probe/config/n', i), [200], `write ${i}`);
    const want = r.revision;
    await waitUntil(() => arrivals.has(want), 5000, `revision ${want} on A`);
    latencies.push(arrivals.get(want) - t0);
  }
  stream.close();
  latencies.sort((x, y) => x - y);
  console.log(`cross-replica push (write on B → event on A), ${WRITES} writes: p50 ${ms(pct(latencies, 50))} ms  ` +
    `p99 ${ms(pct(latencies, 99))} ms  max ${ms(latencies[latencies.length - 1])} ms`);
}

async function main() {
  const pgDir = mkdtempSync(join(tmpdir(), 'henge-bench-pg-'));
  execFileSync(PG_SCRIPT, ['start', pgDir]);
  const server = readFileSync(join(pgDir, 'url'), 'utf8').trim();
  let databases = 0;
  const database = () => {
    const name = `bench_${process.pid}_${databases++}`;
    execFileSync('psql', [server, '-qc', `CREATE DATABASE ${name}`]);
    return server.replace(/\/[^/]*$/, `/${name}`);
  };
  const running = []; // stopped on the way out, whatever happened
  const start = async (extra) => {
    const h = await startHenged(extra);
    running.push(h);
    return h;
  };
  const stop = async (h) => {
    running.splice(running.indexOf(h), 1);
    await h.stop();
  };
  try {
    console.log(`${WRITERS} concurrent writers, ${SECONDS} s each:`);
    let h = await start([]);
    await throughput([h.port], 'sqlite (one node)');
    await stop(h);

    h = await start(['--database-url', database()]);
    await throughput([h.port], 'postgres, one replica');
    await stop(h);

    const url = database();
    const a = await start(['--database-url', url, '--replica-id', 'a']);
    const b = await start(['--database-url', url, '--replica-id', 'b']);
    await throughput([a.port, b.port], 'postgres, two replicas');
    await crossReplicaPush(a, b);
    await stop(a);
    await stop(b);
  } finally {
    for (const h of running) await h.stop();
    execFileSync(PG_SCRIPT, ['destroy', pgDir]);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
