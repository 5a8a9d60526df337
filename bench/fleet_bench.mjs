// Fleet-scale benchmarks (issue: as many devices per process as the machine allows).
// Streams are held by henge-loadgen processes (bench/loadgen), each from its own
// loopback source address; writes go through the admin API; every delay is measured
// from the moment the write was sent to the moment a stream read its event, on
// CLOCK_MONOTONIC, which the driver and the load generators share.
//
//   node bench/fleet_bench.mjs one [--streams 19000] [--writes 1000] [--fanouts 5] [--idle 30]
//     1. one henged, N idle streams: connect rate, RSS per stream, CPU while idle
//     2. single-device write → event, p50/p99/max over --writes writes
//     3. one write to a group of all N → the last device has its event (median, max)
//   node bench/fleet_bench.mjs replicas [--streams 100000] [--replicas 6] [--fanouts 3]
//     4. N devices over R henged replicas on one PostgreSQL (started here, fsync on):
//        one group write to all N → the last has it; RSS per stream per replica
//   node bench/fleet_bench.mjs storm [--streams 19000]
//     5. henged restarts under N streams that reconnect with the agent's backoff and
//        jitter; a group write right after the restart: the time from the restart until
//        every device has it, and henged's peak RSS
//
// Common options: --henged PATH --loadgen PATH --per-process N (streams per loadgen)

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Fleet, monotonicNs } from './loadgen/driver.mjs';
import { cpuSeconds, join, machine, median, registerFleet, restartHenged, rssKiB, shares, startHenged } from './fleet_lib.mjs';
import { agent, request } from './lib.mjs';

const [scenario, ...rest] = process.argv.slice(2);
const args = Object.fromEntries(
  rest.reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const HENGED = args.henged ?? 'build/release/src/henged/henged';
const LOADGEN = args.loadgen ?? 'build/release/bench/loadgen/henge-loadgen';
const PER_PROCESS = Number(args['per-process'] ?? 9500);
const PG_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'test-postgres.sh');
const fmt = (us) => `${(us / 1000).toFixed(2)} ms`;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// One group write to every streaming device, timed from just before it is sent to the
// moment the last device reads it. Returns that delay in microseconds.
async function timedGroupWrite(fleet, port, k, counts) {
  await fleet.arm();
  const sent = performance.now();
  const t0 = monotonicNs();
  const w = await request(port, 'PUT', '/v1/groups/fleet', { priority: 0, config: { fanout: k } });
  if (w.status !== 200 && w.status !== 201) throw new Error(`group write: ${w.status}`);
  const answered = performance.now() - sent;
  const wanted = counts.reduce((a, b) => a + b, 0);
  const got = await fleet.collect(t0, counts, 120000);
  if (got.received !== wanted) throw new Error(`fan-out ${k}: ${got.received} of ${wanted} within 120 s`);
  console.log(`   fan-out ${k}: write answered after ${answered.toFixed(0)} ms; ` +
    `first device ${fmt(got.min_us)}, last ${fmt(got.max_us)}`);
  return got.max_us;
}

async function stopAll(nodes, dir) {
  for (const n of nodes) n.proc.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}

async function one() {
  const N = Number(args.streams ?? 19000);
  const WRITES = Number(args.writes ?? 1000);
  const FANOUTS = Number(args.fanouts ?? 5);
  const IDLE = Number(args.idle ?? 30);
  const dir = mkdtempSync(join(tmpdir(), 'henge-fleet-'));
  let henged = await startHenged(HENGED, { dir });
  try {
    console.log(`scenario one: ${N} streams from ${Math.ceil(N / PER_PROCESS)} load generators`);
    await request(henged.port, 'PUT', '/v1/groups/fleet', { priority: 0 });
    const t = performance.now();
    const tokens = await registerFleet(henged.port, { prefix: 'fleet', count: N, groups: ['fleet'], file: join(dir, 'tokens.csv') });
    console.log(`registered ${N} devices in ${((performance.now() - t) / 1000).toFixed(1)} s (POST /v1/devices:batch)`);
    // A fresh process on the registered fleet: no stream reuses the heap registering left.
    henged = await restartHenged(HENGED, henged, dir);
    await sleep(1000);
    const { pid } = henged.proc;
    const rssBase = rssKiB(pid);

    // 1. Connect half the streams, then the other half (what the second half adds is
    // the cost of a stream, free of one-time growth such as SQLite's page caches), then
    // sit idle.
    const half = Math.floor(N / 2);
    const halves = [
      new Fleet(LOADGEN, { servers: [henged.address], tokens, shares: shares(half, PER_PROCESS) }),
      new Fleet(LOADGEN, {
        servers: [henged.address], tokens,
        shares: shares(N - half, PER_PROCESS, 2 + Math.ceil(half / PER_PROCESS)).map((s) => ({ ...s, first: s.first + half })),
      }),
    ];
    const started = performance.now();
    if (!(await halves[0].waitAllOpen(300000)).ok) throw new Error('not all streams opened');
    const halfS = (performance.now() - started) / 1000;
    await sleep(1000);
    const rssHalf = rssKiB(pid);
    const second = performance.now();
    if (!(await halves[1].waitAllOpen(300000)).ok) throw new Error('not all streams opened');
    const connectS = halfS + (performance.now() - second) / 1000;
    await sleep(1000);
    const rssOpen = rssKiB(pid);
    const fleet = {  // both halves as one
      procs: [...halves[0].procs, ...halves[1].procs],
      status: async () => {
        const [a, b] = await Promise.all(halves.map((f) => f.status()));
        return Object.fromEntries(Object.keys(a).map((k) => [k, k === 'last_open_ns' ? Math.max(a[k], b[k]) : a[k] + b[k]]));
      },
      arm: () => Promise.all(halves.map((f) => f.arm())),
      collect: async (t0, wanted, timeoutMs) => {
        const [a, b] = await Promise.all(halves.map((f, i) => f.collect(t0, wanted.slice(i === 0 ? 0 : halves[0].procs.length,
          i === 0 ? halves[0].procs.length : undefined), timeoutMs)));
        return { received: a.received + b.received, min_us: Math.min(a.min_us, b.min_us), max_us: Math.max(a.max_us, b.max_us) };
      },
      quit: () => Promise.all(halves.map((f) => f.quit())),
    };
    const cpu0 = cpuSeconds(pid);
    await sleep(IDLE * 1000);  // the measurement window, keepalives included
    const idleCpu = (cpuSeconds(pid) - cpu0) / IDLE;
    const rssIdle = rssKiB(pid);
    const st = await fleet.status();
    console.log(`1. ${N} streams open in ${connectS.toFixed(2)} s: ${Math.round(N / connectS)} connects/s ` +
      `(${st.failures} failed tries, retried)`);
    console.log(`   henged RSS ${(rssBase / 1024).toFixed(1)} MiB before, ${(rssHalf / 1024).toFixed(1)} MiB with ${half}, ` +
      `${(rssOpen / 1024).toFixed(1)} MiB with ${N}, ${(rssIdle / 1024).toFixed(1)} MiB after ${IDLE} s idle`);
    console.log(`   RSS per idle stream: ${Math.round(((rssIdle - rssBase) * 1024) / N)} B on average, ` +
      `${Math.round(((rssOpen - rssHalf) * 1024) / (N - half))} B for each of the second ${N - half}`);
    console.log(`   henged CPU while idle: ${(idleCpu * 100).toFixed(2)}% of one core (keepalive every 15 s per stream)`);

    // 2. One device's write → its event, one at a time.
    const probe = fleet.procs[0];
    const lat = [];
    for (let i = 1; i <= WRITES; i++) {
      await probe.cmd('arm');
      const t0 = monotonicNs();
      const w = await request(henged.port, 'PUT', '/v1/devices/fleet-0/config/n', i);
      if (w.status !== 200) throw new Error(`write: ${w.status}`);
      const got = await probe.cmd(`collect ${t0} 1 5000`);
      if (got.received !== 1) throw new Error(`write ${i}: no event within 5 s`);
      lat.push(got.max_us);
    }
    lat.sort((a, b) => a - b);
    console.log(`2. single-device write → event, ${WRITES} writes with ${N} streams open: ` +
      `p50 ${fmt(pct(lat, 50))}, p99 ${fmt(pct(lat, 99))}, max ${fmt(lat.at(-1))}`);

    // 3. One group write → every stream.
    const lasts = [];
    const counts = [...shares(half, PER_PROCESS), ...shares(N - half, PER_PROCESS)].map((s) => s.count);
    for (let k = 1; k <= FANOUTS; k++) lasts.push(await timedGroupWrite(fleet, henged.port, k, counts));
    console.log(`3. group write to ${N} devices → the last has it: median ${fmt(median(lasts))}, max ${fmt(Math.max(...lasts))}`);
    await fleet.quit();
  } finally {
    await stopAll([henged], dir);
  }
}

async function storm() {
  const N = Number(args.streams ?? 19000);
  const dir = mkdtempSync(join(tmpdir(), 'henge-fleet-'));
  let henged = await startHenged(HENGED, { dir });
  const { port } = henged;
  try {
    console.log(`scenario storm: ${N} streams from ${Math.ceil(N / PER_PROCESS)} load generators`);
    await request(port, 'PUT', '/v1/groups/fleet', { priority: 0 });
    const tokens = await registerFleet(port, { prefix: 'fleet', count: N, groups: ['fleet'], file: join(dir, 'tokens.csv') });
    const split = shares(N, PER_PROCESS);
    const fleet = new Fleet(LOADGEN, { servers: [henged.address], tokens, shares: split });
    if (!(await fleet.waitAllOpen(300000)).ok) throw new Error(`not all streams opened: ${JSON.stringify(await fleet.status())}`);
    await fleet.arm();
    // SIGTERM: henged sends goaway "shutdown" to every stream over its drain period
    // (1 s here), then exits; the streams find it gone and back off until it is back.
    const stopped = performance.now();
    henged = await restartHenged(HENGED, henged, dir);
    const restarted = monotonicNs();
    console.log(`henged stopped and restarted in ${((performance.now() - stopped) / 1000).toFixed(2)} s`);
    const w = await request(port, 'PUT', '/v1/groups/fleet', { priority: 0, config: { after_restart: true } });
    if (w.status !== 200 && w.status !== 201) throw new Error(`group write: ${w.status}`);
    const got = await fleet.collect(restarted, split.map((s) => s.count), 180000);
    const st = await fleet.status();
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${henged.proc.pid}/status`, 'utf8'))[1]);
    if (got.received !== N) throw new Error(`only ${got.received} of ${N} in sync after 180 s: ${JSON.stringify(st)}`);
    console.log(`5. reconnect storm: all ${N} back in sync ${fmt(got.max_us)} after the restart ` +
      `(first ${fmt(got.min_us)}); ${st.connects} connects, ${st.failures} failed tries in all; ` +
      `henged peak RSS ${(peak / 1024).toFixed(1)} MiB`);
    await fleet.quit();
  } finally {
    await stopAll([henged], dir);
  }
}

async function replicas() {
  const N = Number(args.streams ?? 100000);
  const R = Number(args.replicas ?? 6);
  const FANOUTS = Number(args.fanouts ?? 3);
  const pgDir = mkdtempSync(join(tmpdir(), 'henge-fleet-pg-'));
  const dir = mkdtempSync(join(tmpdir(), 'henge-fleet-'));
  execFileSync(PG_SCRIPT, ['start', pgDir]);
  const server = readFileSync(join(pgDir, 'url'), 'utf8').trim();
  execFileSync('psql', [server, '-qc', 'CREATE DATABASE fleet']);
  const url = server.replace(/\/[^/]*$/, '/fleet');
  const nodes = [];
  try {
    for (let r = 0; r < R; r++) {
      mkdirSync(join(dir, `r${r}`));
      nodes.push(await startHenged(HENGED, { dir: join(dir, `r${r}`), args: ['--store', 'postgres', '--database-url', url, '--replica-id', `r${r}`] }));
    }
    console.log(`scenario replicas: ${N} streams over ${R} henged replicas on PostgreSQL, from ${Math.ceil(N / PER_PROCESS)} load generators`);
    const first = nodes[0].port;
    await request(first, 'PUT', '/v1/groups/fleet', { priority: 0 });
    let t = performance.now();
    const tokens = await registerFleet(first, { prefix: 'fleet', count: N, groups: ['fleet'], file: join(dir, 'tokens.csv') });
    console.log(`registered ${N} devices in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const before = nodes.map((n) => rssKiB(n.proc.pid));
    const split = shares(N, PER_PROCESS);
    const fleet = new Fleet(LOADGEN, { servers: nodes.map((n) => n.address), tokens, shares: split });
    t = performance.now();
    if (!(await fleet.waitAllOpen(900000)).ok) throw new Error(`not all streams opened: ${JSON.stringify(await fleet.status())}`);
    console.log(`${N} streams open in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await sleep(2000);
    const after = nodes.map((n) => rssKiB(n.proc.pid));
    const perStream = nodes.map((n, r) => Math.round(((after[r] - before[r]) * 1024) / (N / R)));
    console.log(`   RSS per stream per replica: ${perStream.map((b) => `${b} B`).join(', ')} ` +
      `(${(Math.min(...after) / 1024).toFixed(0)}–${(Math.max(...after) / 1024).toFixed(0)} MiB each)`);
    const lasts = [];
    for (let k = 1; k <= FANOUTS; k++) lasts.push(await timedGroupWrite(fleet, first, k, split.map((s) => s.count)));
    console.log(`4. group write to ${N} devices over ${R} replicas → the last has it: median ${fmt(median(lasts))}, ` +
      `max ${fmt(Math.max(...lasts))}`);
    await fleet.quit();
  } finally {
    await stopAll(nodes, dir);
    execFileSync(PG_SCRIPT, ['destroy', pgDir]);
  }
}

console.log(machine());
const scenarios = { one, replicas, storm };
if (!scenarios[scenario]) {
  console.error(`usage: node bench/fleet_bench.mjs ${Object.keys(scenarios).join('|')} [options]`);
  process.exit(2);
}
await scenarios[scenario]();
