// Push-channel benchmark: a real henged (release build, SQLite with synchronous=FULL)
// and real device streams on loopback.
//
//   1. push latency: admin write sent → the device reads the event, p50/p99/max over
//      --writes writes to one device, with 1, 1,000 and 10,000 other streams open;
//   2. fan-out: one group write to every streaming device → the last one reads it
//      (median and max of --fanouts writes);
//   3. memory: henged's RSS per idle stream above its baseline.
//
// Usage: node bench/push_bench.mjs --henged build/release/src/henged/henged
//          [--streams 1,1000,10000] [--writes 1000] [--fanouts 5]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ADMIN, Stream, agent, expectStatus, freePort, ms, pct, request, waitUntil } from './lib.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const HENGED = args.henged ?? 'build/release/src/henged/henged';
const LEVELS = (args.streams ?? '1,1000,10000').split(',').map(Number);
const WRITES = Number(args.writes ?? 1000);
const FANOUTS = Number(args.fanouts ?? 5);

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

async function listRevisions(port) {
  const revs = [];
  let cursor = '';
  do {
    const r = await request(port, 'GET', `/v1/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    revs.push(...r.json.items.map((d) => d.desired_revision));
    cursor = r.json.next_cursor;
  } while (cursor);
  return revs;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'henge-bench-'));
  // A free port, then henged on it (at warn level it logs no address, and logging
  // each request would be measured too).
  const port = await freePort();
  const proc = spawn(HENGED, ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--admin-token', ADMIN,
    // The operator rate limit off: registering a fleet and timing writes is not what it is for.
    '--log-level', 'warn', '--drain', '1', '--operator-rate', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  const deadline = performance.now() + 10000;
  for (;;) {
    const ok = await request(port, 'GET', '/healthz').then((r) => r.status === 200, () => false);
    if (ok) break;
    if (performance.now() > deadline) throw new Error(`henged did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }

  const maxStreams = Math.max(...LEVELS);
  console.log(`henged pid ${proc.pid} on 127.0.0.1:${port}; registering ${maxStreams} devices…`);
  expectStatus(await request(port, 'PUT', '/v1/groups/fleet', { priority: 0 }), [200, 201], 'the fleet group');
  const probe = expectStatus(await request(port, 'POST', '/v1/devices', { id: 'probe' }), [201], 'register probe');
  const tokens = [];
  for (let i = 0; i < maxStreams; i += 16) {
    const batch = [];
    for (let j = i; j < Math.min(maxStreams, i + 16); j++) {
      batch.push(request(port, 'POST', '/v1/devices', { id: `d${j}`, groups: ['fleet'] }));
    }
    for (const r of await Promise.all(batch)) tokens.push(expectStatus(r, [201], 'register a device').json.token);
  }

  // Every fleet device's first config has a revision at most this one.
  const registeredUpTo = (await request(port, 'GET', '/v1/devices?limit=1')).json.items.length
    ? Math.max(...(await listRevisions(port))) : 0;
  const probeArrivals = new Map();
  const probeStream = new Stream(port, probe.json.token, (rev, t) => probeArrivals.set(rev, t));
  await waitUntil(() => probeArrivals.size > 0, 5000, 'probe stream');

  const fleetArrivals = new Map();  // revision → count and last arrival
  let initialConfigs = 0;
  const initial = () => initialConfigs;
  const streams = [];
  const baseline = rssKiB(proc.pid);
  const results = [];
  for (const level of LEVELS) {
    while (streams.length < level) {
      const k = streams.length;
      streams.push(new Stream(port, tokens[k], (rev, t) => {
        if (rev <= registeredUpTo) initialConfigs += 1;
        const a = fleetArrivals.get(rev) ?? { count: 0, last: 0 };
        a.count += 1;
        a.last = Math.max(a.last, t);
        fleetArrivals.set(rev, a);
      }));
      // Keep at most 256 connections opening at once, as a fleet reconnecting with
      // jitter would, rather than overflowing the listen backlog.
      if (streams.length - initial() >= 256) await waitUntil(() => streams.length - initial() < 128, 60000, 'connects');
    }
    // Every stream has its initial config once each has connected and read it.
    await waitUntil(() => initial() >= streams.length, 120000, `${level} streams to connect`);
    await new Promise((r) => setTimeout(r, 500));  // let the connect burst settle before measuring
    const rss = rssKiB(proc.pid);

    const lat = [];
    for (let i = 0; i < WRITES; i++) {
      const t0 = performance.now();
      const r = expectStatus(await request(port, 'PUT', '/v1/devices/probe/config/n', i + level * 10), [200], 'write');
      await waitUntil(() => probeArrivals.has(r.json.revision), 5000, 'probe event');
      lat.push(probeArrivals.get(r.json.revision) - t0);
    }
    lat.sort((a, b) => a - b);
    const row = { streams: level, p50: pct(lat, 50), p99: pct(lat, 99), max: lat.at(-1), rss_kib: rss,
      per_stream_bytes: level > 1 ? ((rss - baseline) * 1024) / level : NaN };
    results.push(row);
    console.log(`streams=${level} latency p50=${ms(row.p50)} ms p99=${ms(row.p99)} ms max=${ms(row.max)} ms ` +
      `rss=${rss} KiB (${Number.isNaN(row.per_stream_bytes) ? '-' : row.per_stream_bytes.toFixed(0)} B/stream above ${baseline} KiB)`);
  }

  const fan = [];
  for (let i = 0; i < FANOUTS; i++) {
    const t0 = performance.now();
    const r = expectStatus(await request(port, 'PUT', '/v1/groups/fleet/config', { wave: i }), [200], 'group write');
    const rev = r.json.revision;
    await waitUntil(() => (fleetArrivals.get(rev)?.count ?? 0) >= streams.length, 30000, 'fan-out');
    fan.push(fleetArrivals.get(rev).last - t0);
  }
  fan.sort((a, b) => a - b);
  console.log(`fan-out to ${streams.length} devices: median=${ms(pct(fan, 50))} ms max=${ms(fan.at(-1))} ms ` +
    `(${fan.map(ms).join(', ')})`);

  for (const s of streams) s.close();
  probeStream.close();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  agent.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
