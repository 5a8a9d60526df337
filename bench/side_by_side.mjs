// Scenario 6 of the fleet benchmarks: henge side by side with Mosquitto (QoS 0, and
// QoS 1 with persistence), etcd and NATS JetStream key-value, in the same run on the same
// machine, at several fleet sizes, for scenarios 1–3:
//   1. N idle subscribers: connect rate, server RSS per subscriber, CPU while idle
//   2. one subscriber's own topic / key / device written → it has the event, p50/p99/max
//   3. one write to what all N share → the last has it (median, max)
// Every subscriber listens on its own topic or key (dev/<id>) and on a shared one
// (fleet); for henge, its device stream, in group "fleet". Subscribers are held by
// henge-loadgen processes (--protocol henge|mqtt|mqtt-qos1|etcd|nats), each from its own
// loopback source address; delays run from just before the write is sent to the moment
// a subscriber read it, on CLOCK_MONOTONIC.
//
//   node bench/side_by_side.mjs [--sizes 1000,10000,19000] [--writes 1000] [--fanouts 5] [--idle 30]
//                               [--systems henge,mosquitto,mosquitto-qos1,etcd,nats]
//
// What each write is, and when it is answered:
//   henge           a config write through the admin API, committed to SQLite
//                   (synchronous=FULL) before it is answered and pushed
//   etcd            a put through its JSON gateway, committed to its WAL (fsync) before
//                   it is answered and sent to watchers
//   NATS KV         a put (a publish to $KV.henge.<key> with a reply subject), stored by
//                   JetStream in its file store before it is answered; JetStream syncs its
//                   files on an interval, not on each write
//   Mosquitto QoS 1 a QoS 1 PUBLISH, answered by PUBACK once the broker has it in memory;
//                   subscribers in persistent sessions at QoS 1, each delivery PUBACKed;
//                   persistence is a snapshot every autosave interval (30 min by default)
//   Mosquitto       a QoS 0 PUBLISH, not answered, not persisted
// Keepalives: henge sends one every 15 s per stream; the MQTT subscribers send a PINGREQ
// every 15 s; NATS pings each client every 2 minutes; etcd's gateway sends none.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MqttPublisher, NatsClient, etcdPut, startEtcd, startMosquitto, startNats } from './brokers.mjs';
import { cpuSeconds, join, machine, median, registerFleet, restartHenged, rssKiB, shares, startHenged } from './fleet_lib.mjs';
import { agent, pct, request } from './lib.mjs';
import { Fleet, monotonicNs } from './loadgen/driver.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const HENGED = args.henged ?? 'build/release/src/henged/henged';
const LOADGEN = args.loadgen ?? 'build/release/bench/loadgen/henge-loadgen';
const PER_PROCESS = Number(args['per-process'] ?? 9500);
const SIZES = (args.sizes ?? '1000,10000,19000').split(',').map(Number);
const WRITES = Number(args.writes ?? 1000);
const FANOUTS = Number(args.fanouts ?? 5);
const IDLE = Number(args.idle ?? 30);
const SYSTEMS = (args.systems ?? 'henge,mosquitto,mosquitto-qos1,etcd,nats').split(',');

// Each system: started in `dir` for N subscribers; answers the file of subscriber ids
// (and henge's tokens), the loadgen protocol, and the two writes.
const systems = {
  async henge(dir, N) {
    let h = await startHenged(HENGED, { dir });
    await request(h.port, 'PUT', '/v1/groups/fleet', { priority: 0 });
    const tokens = await registerFleet(h.port, { prefix: 'fleet', count: N, groups: ['fleet'], file: join(dir, 'ids.csv') });
    // A fresh process on the registered fleet, so that no stream reuses the heap that
    // registering left behind (which would understate what a stream costs).
    h = await restartHenged(HENGED, h, dir);
    const ok = (r) => { if (r.status !== 200 && r.status !== 201) throw new Error(`henge write: ${r.status}`); };
    return {
      name: 'henge', protocol: 'henge', pid: h.proc.pid, address: h.address, tokens,
      own: async (k) => ok(await request(h.port, 'PUT', '/v1/devices/fleet-0/config/n', k)),
      shared: async (k) => ok(await request(h.port, 'PUT', '/v1/groups/fleet', { priority: 0, config: { k } })),
      stop: async () => { h.proc.kill('SIGTERM'); await h.exited; },
    };
  },
  async mosquitto(dir, N) {
    const m = await startMosquitto(dir);
    const pub = await MqttPublisher.connect(m.port);
    return {
      name: 'Mosquitto', protocol: 'mqtt', pid: m.proc.pid, address: m.address, tokens: idsFile(dir, N),
      own: async () => pub.publish('dev/fleet-0'),
      shared: async () => pub.publish('fleet'),
      stop: async () => { pub.close(); m.proc.kill('SIGTERM'); await m.exited; },
    };
  },
  async 'mosquitto-qos1'(dir, N) {
    const m = await startMosquitto(dir, { durable: true });
    const pub = await MqttPublisher.connect(m.port);
    return {
      name: m.name, protocol: 'mqtt-qos1', pid: m.proc.pid, address: m.address, tokens: idsFile(dir, N),
      own: () => pub.publishAcked('dev/fleet-0'),
      shared: () => pub.publishAcked('fleet'),
      stop: async () => { pub.close(); m.proc.kill('SIGTERM'); await m.exited; },
    };
  },
  async etcd(dir, N) {
    const e = await startEtcd(dir);
    return {
      name: 'etcd', protocol: 'etcd', pid: e.proc.pid, address: e.address, tokens: idsFile(dir, N),
      own: (k) => etcdPut(e.port, 'dev/fleet-0', k),
      shared: (k) => etcdPut(e.port, 'fleet', k),
      stop: async () => { e.proc.kill('SIGTERM'); await e.exited; },
    };
  },
  async nats(dir, N) {
    const n = await startNats(dir);
    const client = await NatsClient.connect(n.port);
    await client.createBucket('henge');
    return {
      name: n.name, protocol: 'nats', pid: n.proc.pid, address: n.address, tokens: idsFile(dir, N),
      own: (k) => client.put('henge', 'dev/fleet-0', k),
      shared: (k) => client.put('henge', 'fleet', k),
      stop: async () => { client.close(); n.proc.kill('SIGTERM'); await n.exited; },
    };
  },
};

function idsFile(dir, N) {
  const file = join(dir, 'ids.csv');
  writeFileSync(file, `id,token\n${Array.from({ length: N }, (_, i) => `fleet-${i},-`).join('\n')}\n`);
  return file;
}

async function measure(which, N) {
  const dir = mkdtempSync(join(tmpdir(), `henge-side-${which}-`));
  const s = await systems[which](dir, N);
  try {
    await sleep(1000);  // what starting (and registering) left behind settles first
    const rssBase = rssKiB(s.pid);
    const split = shares(N, PER_PROCESS);
    const fleet = new Fleet(LOADGEN, { servers: [s.address], tokens: s.tokens, shares: split, protocol: s.protocol, maxConnecting: 64 });
    try {
      const t = performance.now();
      if (!(await fleet.waitAllOpen(300000)).ok) throw new Error(`${s.name}: not all open: ${JSON.stringify(await fleet.status())}`);
      const connectS = (performance.now() - t) / 1000;
      await sleep(1000);
      const rssOpen = rssKiB(s.pid);
      const cpu0 = cpuSeconds(s.pid);
      await sleep(IDLE * 1000);
      const idleCpu = (cpuSeconds(s.pid) - cpu0) / IDLE;

      const probe = fleet.procs[0];
      const lat = [];
      for (let k = 1; k <= WRITES; k++) {
        await probe.cmd('arm');
        const t0 = monotonicNs();
        await s.own(k);
        const got = await probe.cmd(`collect ${t0} 1 5000`);
        if (got.received !== 1) throw new Error(`${s.name}: write ${k}: no event within 5 s`);
        lat.push(got.max_us);
      }
      lat.sort((a, b) => a - b);

      const lasts = [];
      for (let k = 1; k <= FANOUTS; k++) {
        await fleet.arm();
        const t0 = monotonicNs();
        await s.shared(WRITES + k);
        const got = await fleet.collect(t0, split.map((p) => p.count), 120000);
        if (got.received !== N) throw new Error(`${s.name}: fan-out ${k}: ${got.received} of ${N} within 120 s`);
        lasts.push(got.max_us);
      }
      const st = await fleet.status();
      const r = {
        system: s.name, N, connectS, connectsPerS: N / connectS, failures: st.failures,
        rssPerStream: ((rssOpen - rssBase) * 1024) / N, rssOpenMiB: rssOpen / 1024, idleCpu,
        p50: pct(lat, 50), p99: pct(lat, 99), max: lat.at(-1), fanMedian: median(lasts), fanMax: Math.max(...lasts),
      };
      console.log(`${r.system}, ${N}: open in ${connectS.toFixed(2)} s (${Math.round(r.connectsPerS)}/s, ${st.failures} failed tries); ` +
        `RSS ${Math.round(r.rssPerStream)} B a subscriber (${r.rssOpenMiB.toFixed(1)} MiB); idle CPU ${(idleCpu * 100).toFixed(2)}%; ` +
        `own write p50 ${ms(r.p50)} p99 ${ms(r.p99)} max ${ms(r.max)}; shared write median ${ms(r.fanMedian)} max ${ms(r.fanMax)}`);
      return r;
    } finally {
      await fleet.quit();
    }
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (us) => `${(us / 1000).toFixed(2)} ms`;

// The markdown table docs/benchmarks.md holds: each figure, and henge's to each other's.
function table(results) {
  const rows = [
    ['Connects/s', (r) => Math.round(r.connectsPerS), true],
    ['RSS per subscriber (B)', (r) => Math.round(r.rssPerStream), false],
    ['Idle CPU (% of a core)', (r) => (r.idleCpu * 100).toFixed(2), false],
    ['Own write p50 (ms)', (r) => (r.p50 / 1000).toFixed(2), false],
    ['Own write p99 (ms)', (r) => (r.p99 / 1000).toFixed(2), false],
    ['Own write max (ms)', (r) => (r.max / 1000).toFixed(2), false],
    ['Shared write, last subscriber, median (ms)', (r) => (r.fanMedian / 1000).toFixed(1), false],
    ['Shared write, last subscriber, max (ms)', (r) => (r.fanMax / 1000).toFixed(1), false],
  ];
  const out = [];
  for (const N of SIZES) {
    const at = results.filter((r) => r.N === N);
    const henge = at.find((r) => r.system === 'henge');
    const others = at.filter((r) => r !== henge);
    out.push('', `N = ${N}`, '', `| Measure | ${at.map((r) => r.system).join(' | ')}${henge ? others.map((o) => ` | henge ÷ ${o.system}`).join('') : ''} |`);
    out.push(`|---|${at.map(() => '---:').join('|')}${henge ? others.map(() => '|---:').join('') : ''}|`);
    for (const [label, f] of rows) {
      const ratio = (o) => { const a = Number(f(henge)); const b = Number(f(o)); return b === 0 ? '—' : `${(a / b).toPrecision(2)}×`; };
      out.push(`| ${label} | ${at.map((r) => f(r)).join(' | ')}${henge ? others.map((o) => ` | ${ratio(o)}`).join('') : ''} |`);
    }
  }
  return out.join('\n');
}

console.log(machine());
console.log(`side by side: ${SYSTEMS.join(', ')} at N = ${SIZES.join(', ')}; ${WRITES} own writes, ${FANOUTS} shared writes, ${IDLE} s idle`);
const results = [];
for (const N of SIZES) {
  for (const which of SYSTEMS) {
    if (!systems[which]) throw new Error(`--systems: no system '${which}' (${Object.keys(systems).join(', ')})`);
    results.push(await measure(which, N));
  }
}
agent.destroy();
console.log(table(results));
