// The systems henge is measured against (bench/side_by_side.mjs): Mosquitto, etcd and
// NATS from Debian's packages, each started here on loopback with its data in a fresh
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

// Mosquitto, Nagle off as henge has it, any client allowed. Without persistence it is
// the QoS 0 fan-out broker; `durable` turns persistence on (sessions, subscriptions and
// queued QoS 1 messages are kept in a file, written as a snapshot every autosave
// interval and at shutdown: Mosquitto has no per-message log to sync).
export async function startMosquitto(dir, { durable = false } = {}) {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const persistence = durable ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false'];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...persistence,
    'set_tcp_nodelay true', 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n'));
  const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { exited } = await started(proc, () => connects(port), 'mosquitto');
  return { name: durable ? 'Mosquitto QoS 1' : 'Mosquitto', proc, port, address: `127.0.0.1:${port}`, exited };
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

// One MQTT 3.1.1 connection that publishes, no keepalive. Each payload is the next
// number of a sequence, which subscribers read as the event's revision. At QoS 0 a
// publish is sent and done; at QoS 1 it is done when the broker's PUBACK arrives.
export class MqttPublisher {
  seq = 0;
  acks = new Map();  // packet id → resolve, for QoS 1 publishes in flight
  input = Buffer.alloc(0);

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
    p.sock.on('data', (d) => p.read(d));
    p.sock.on('close', () => p.fail(new Error('the MQTT broker closed the publisher')));
    return p;
  }

  publish(topic) {
    const t = Buffer.from(topic);
    const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from(String(++this.seq))]);
    this.sock.write(Buffer.concat([Buffer.from([0x30]), length(body.length), body]));
  }

  // A QoS 1 publish; resolves on its PUBACK.
  publishAcked(topic) {
    const t = Buffer.from(topic);
    const id = (this.seq % 65535) + 1;  // packet ids are 1–65535
    const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from([id >> 8, id & 0xff]),
      Buffer.from(String(++this.seq))]);
    const acked = new Promise((resolve, reject) => this.acks.set(id, { resolve, reject }));
    this.sock.write(Buffer.concat([Buffer.from([0x32]), length(body.length), body]));
    return acked;
  }

  read(d) {  // the broker sends this connection only PUBACKs (4 bytes each)
    this.input = Buffer.concat([this.input, d]);
    while (this.input.length >= 4) {
      if (this.input[0] !== 0x40 || this.input[1] !== 2) return this.fail(new Error(`MQTT publisher got ${this.input.toString('hex')}`));
      const id = this.input.readUInt16BE(2);
      this.input = this.input.subarray(4);
      this.acks.get(id)?.resolve();
      this.acks.delete(id);
    }
  }

  fail(error) {
    for (const { reject } of this.acks.values()) reject(error);
    this.acks.clear();
  }

  close() { this.sock.end(Buffer.from([0xe0, 0])); }  // DISCONNECT
}

// A single NATS server with JetStream, its store in `dir`.
export async function startNats(dir) {
  const port = await freePort();
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'nats')],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const { exited } = await started(proc, () => connects(port), 'nats-server');
  return { name: 'NATS KV', proc, port, address: `127.0.0.1:${port}`, exited };
}

// A NATS connection for requests (the client protocol's PUB with a reply subject, the
// answer a MSG to it): enough to make a key-value bucket and put into it.
export class NatsClient {
  next = 0;
  waiting = new Map();  // reply subject → { resolve, reject }
  input = '';

  static async connect(port) {
    const c = new NatsClient();
    c.sock = net.connect(port, '127.0.0.1');
    c.sock.setNoDelay(true);
    await new Promise((resolve, reject) => { c.sock.once('connect', resolve); c.sock.once('error', reject); });
    c.sock.setEncoding('latin1');
    c.sock.on('data', (d) => c.read(d));
    c.sock.on('close', () => c.fail(new Error('the NATS server closed the connection')));
    c.sock.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"lang":"henge-bench","version":"1"}\r\n' +
      'SUB _INBOX.bench.* 1\r\n');
    return c;
  }

  // The answer's payload; a throw when none comes within `timeoutMs` (a request to a
  // subject nobody serves is not answered at all).
  request(subject, payload, timeoutMs = 10000) {
    const reply = `_INBOX.bench.${++this.next}`;
    const answered = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(reply);
        reject(new Error(`NATS: no answer to ${subject} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (f) => (v) => { clearTimeout(timer); f(v); };
      this.waiting.set(reply, { resolve: done(resolve), reject: done(reject) });
    });
    this.sock.write(`PUB ${subject} ${reply} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
    return answered;
  }

  read(d) {
    this.input += d;
    for (;;) {
      const eol = this.input.indexOf('\r\n');
      if (eol < 0) return;
      const line = this.input.slice(0, eol);
      if (line.startsWith('MSG ')) {
        const words = line.split(' ');
        const size = Number(words.at(-1));
        if (this.input.length < eol + 2 + size + 2) return;
        const payload = this.input.slice(eol + 2, eol + 2 + size);
        this.input = this.input.slice(eol + 2 + size + 2);
        this.waiting.get(words[1])?.resolve(payload);
        this.waiting.delete(words[1]);
        continue;
      }
      this.input = this.input.slice(eol + 2);
      if (line === 'PING') this.sock.write('PONG\r\n');
      else if (line.startsWith('-ERR')) this.fail(new Error(`NATS: ${line}`));
    }
  }

  fail(error) {
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
  }

  // A JetStream API request: its JSON answer, or a throw with the server's error.
  async api(subject, body, timeoutMs) {
    const answer = JSON.parse(await this.request(subject, JSON.stringify(body), timeoutMs));
    if (answer.error) throw new Error(`${subject}: ${answer.error.description} (${answer.error.code})`);
    return answer;
  }

  // A key-value bucket as NATS's own tools make one: the stream KV_<bucket> over
  // $KV.<bucket>.>, one value kept a key, kept in files. JetStream may still be
  // starting when the port opens; it is asked again until the deadline.
  async createBucket(bucket) {
    const config = { name: `KV_${bucket}`, subjects: [`$KV.${bucket}.>`], retention: 'limits', max_consumers: -1,
      max_msgs_per_subject: 1, max_msgs: -1, max_bytes: -1, max_age: 0, max_msg_size: -1, storage: 'file',
      discard: 'new', num_replicas: 1, duplicate_window: 120e9, allow_rollup_hdrs: true, deny_delete: true,
      allow_direct: true };
    const deadline = performance.now() + 30000;
    for (;;) {
      try {
        return await this.api(`$JS.API.STREAM.CREATE.KV_${bucket}`, config, 1000);
      } catch (e) {
        if (performance.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  // A put: done when JetStream has stored it and answered with the stream sequence.
  async put(bucket, key, value) {
    const answer = JSON.parse(await this.request(`$KV.${bucket}.${key}`, String(value)));
    if (answer.error) throw new Error(`NATS put ${key}: ${answer.error.description}`);
    return answer.seq;
  }

  close() { this.sock.end(); }
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
