// Parts for multi-replica tests: a throwaway PostgreSQL (scripts/test-postgres.sh),
// henged replicas sharing one of its databases, and haproxy in front of them.

import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { promisify } from 'node:util';
import { Henged, tempDir, waitFor } from './harness.mjs';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'test-postgres.sh');

export class Postgres {
  constructor() {
    this.dir = tempDir('henge-pg-');  // the script hands it to the postgres user
    this.databases = 0;
  }

  async start() {
    await run(SCRIPT, ['start', this.dir]);
    this.url = readFileSync(join(this.dir, 'url'), 'utf8').trim();
    return this;
  }

  async stop() { await run(SCRIPT, ['stop', this.dir]); }
  async destroy() { await run(SCRIPT, ['destroy', this.dir]); }

  // A new empty database; returns its URL.
  async createDatabase() {
    const name = `it_${process.pid}_${this.databases++}`;
    await run('psql', [this.url, '-qAt', '-c', `CREATE DATABASE ${name}`]);
    return this.url.replace(/\/[^/]*$/, `/${name}`);
  }

  async query(url, sql) {
    const { stdout } = await run('psql', [url, '-qAt', '-c', sql]);
    return stdout.trim();
  }
}

// A henged replica on `databaseUrl`.
export function replica(databaseUrl, { id, args = [] } = {}) {
  return new Henged({
    store: 'postgres',
    args: ['--database-url', databaseUrl, ...(id ? ['--replica-id', id] : []), ...args],
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// haproxy on loopback, to the least busy of `backends` (henged addresses: device
// streams are long-lived, so this spreads them), checking
// /readyz five times a second, with timeouts that let device streams live. `slots`
// more servers (s0, s1, …) start in maintenance, for setServer() to fill while it runs,
// as endpoints come and go in a cluster.
export class Haproxy {
  constructor(backends, { slots = 0 } = {}) {
    this.backends = backends;
    this.slots = slots;
    this.dir = tempDir('henge-haproxy-');
    this.socket = join(this.dir, 'admin.sock');
    this.log = '';
  }

  async start() {
    this.port = await freePort();
    const servers = this.backends.map((addr, i) => `  server r${i} ${addr} check inter 200 fall 2 rise 1`);
    for (let i = 0; i < this.slots; ++i) servers.push(`  server s${i} 127.0.0.1:1 check inter 200 fall 2 rise 1 disabled`);
    const cfg = join(this.dir, 'haproxy.cfg');
    writeFileSync(cfg, [
      'global', '  maxconn 4000', `  stats socket ${this.socket} level admin`,
      'defaults', '  mode http', '  timeout connect 1s', '  timeout client 1h', '  timeout server 1h',
      '  timeout tunnel 1h', '  retries 3', '  option redispatch',
      'frontend devices', `  bind 127.0.0.1:${this.port}`, '  default_backend replicas',
      'backend replicas', '  balance leastconn', '  option httpchk GET /readyz', '  http-check expect status 200',
      ...servers, '',
    ].join('\n'));
    this.proc = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.log += d));
    this.proc.stderr.on('data', (d) => (this.log += d));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.url = `http://127.0.0.1:${this.port}`;
    await waitFor(async () => {
      try {
        return (await fetch(`${this.url}/healthz`)).status === 200;
      } catch {
        return false;
      }
    }, 10000, 'haproxy to serve');
    return this;
  }

  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    await this.exited;
  }

  // One command on haproxy's runtime API; resolves with its answer.
  command(line) {
    return new Promise((resolve, reject) => {
      let answer = '';
      const conn = net.connect(this.socket, () => conn.end(`${line}\n`));
      conn.on('data', (d) => (answer += d));
      conn.on('error', reject);
      conn.on('close', () => resolve(answer));
    });
  }

  // Points server `name` at `address` and takes it out of maintenance; resolves once
  // its health check has it up.
  async setServer(name, address) {
    const [host, port] = address.split(':');
    await this.command(`set server replicas/${name} addr ${host} port ${port}`);
    await this.command(`set server replicas/${name} state ready`);
    await waitFor(async () => (await this.status(name)) === 'UP', 10000, `haproxy to see ${name} up`);
  }

  // Sends no new request or connection to `name`; those it has go on (what removing a
  // pod from a Service's endpoints does).
  async maintain(name) {
    await this.command(`set server replicas/${name} state maint`);
    await waitFor(async () => (await this.status(name)) === 'MAINT', 10000, `haproxy to put ${name} in maintenance`);
  }

  async status(name) {
    const rows = (await this.command('show stat')).split('\n').map((l) => l.split(','));
    const header = rows[0];
    const col = header.indexOf('status');
    return rows.find((r) => r[0] === 'replicas' && r[1] === name)?.[col];
  }
}
