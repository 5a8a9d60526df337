// The systems henge is measured against (bench/fleet_bench.mjs side): Mosquitto and
// etcd from Debian's packages, each started here on loopback with its data in a fresh
// directory, and a client for each that sends the write a benchmark times.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, request } from './lib.mjs';

// Resolves once `ready()` says so; returns { exited }, a promise of how the process ended.
async function started(proc, ready, what) {
  let log = '';
  proc.stderr.on('data', (d) => (log = (log + d).slice(-20000)));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  const deadline = performance.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited: ${log}`);
    if (await ready().catch(() => false)) return { exited };
    if (performance.now() > deadline) throw new Error(`${what} did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const connects = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

// Mosquitto with no persistence (henge's QoS-0-like fan-out has nothing to compare it
// with), Nagle off as henge has it, any client allowed.
export async function startMosquitto(dir) {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    'set_tcp_nodelay true', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { exited } = await started(proc, () => connects(port), 'mosquitto');
  return { name: 'Mosquitto', proc, port, address: `127.0.0.1:${port}`, exited };
}

// A single-member etcd; its JSON gateway serves the watches and the puts.
export async function startEtcd(dir) {
  const [port, peer] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${port}`;
  const peers = `http://127.0.0.1:${peer}`;
  const proc = spawn('etcd', ['--name', 'bench', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peers, '--initial-advertise-peer-urls', peers, '--initial-cluster', `bench=${peers}`,
    '--logger', 'zap', '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { exited } = await started(proc, async () => (await request(port, 'GET', '/health', undefined, null)).status === 200, 'etcd');
  return { name: 'etcd', proc, port, address: `127.0.0.1:${port}`, exited };
}

const b64 = (s) => Buffer.from(s).toString('base64');

export async function etcdPut(port, key, value) {
  const r = await request(port, 'POST', '/v3/kv/put', { key: b64(key), value: b64(String(value)) }, null);
  if (r.status !== 200) throw new Error(`etcd put: ${r.status} ${JSON.stringify(r.json)}`);
  return r;
}

// One MQTT 3.1.1 connection that publishes at QoS 0, no keepalive. Each payload is the
// next number of a sequence, which subscribers read as the event's revision.
export class MqttPublisher {
  seq = 0;

  static async connect(port) {
    const p = new MqttPublisher();
    p.sock = net.connect(port, '127.0.0.1');
    p.sock.setNoDelay(true);
    const id = Buffer.from('henge-bench-publisher');
    const body = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 0x02, 0, 0]),
      Buffer.from([id.length >> 8, id.length & 0xff]), id]);
    await new Promise((resolve, reject) => {
      p.sock.once('error', reject);
      p.sock.once('data', (d) => (d[0] === 0x20 && d[3] === 0 ? resolve() : reject(new Error(`CONNACK ${d.toString('hex')}`))));
      p.sock.write(Buffer.concat([Buffer.from([0x10]), length(body.length), body]));
    });
    return p;
  }

  publish(topic) {
    const t = Buffer.from(topic);
    const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from(String(++this.seq))]);
    this.sock.write(Buffer.concat([Buffer.from([0x30]), length(body.length), body]));
  }

  close() { this.sock.end(Buffer.from([0xe0, 0])); }  // DISCONNECT
}

function length(n) {  // MQTT's remaining length: 7 bits a byte
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
