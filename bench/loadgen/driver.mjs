// Drives henge-loadgen processes: each holds a share of the streams (a process may hold
// only so many open files) and answers one JSON line per command (see main.cpp). A
// Fleet is all of them, commanded together, with their answers combined.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class Loadgen {
  constructor(bin, args) {
    this.child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.waiting = [];
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? signal)));
    this.exited.then((how) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`henge-loadgen exited (${how}): ${this.stderr}`));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w.resolve(JSON.parse(line));
    });
  }

  cmd(line) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${line}\n`);
    });
  }

  async quit() {
    this.child.stdin.end('quit\n');
    return this.exited;
  }
}

// Nanoseconds on CLOCK_MONOTONIC, the clock henge-loadgen stamps arrivals with.
export const monotonicNs = () => process.hrtime.bigint();

export class Fleet {
  // shares: [{ first, count, sources }] of the tokens file, one process each.
  // protocol: henge, or mqtt, mqtt-qos1, etcd or nats for subscribers to compare with.
  constructor(bin, { servers, tokens, shares, maxConnecting = 256, connectRate = 0, protocol = 'henge' }) {
    this.procs = shares.map(({ first, count, sources = [] }) => new Loadgen(bin, [
      '--protocol', protocol,
      ...servers.flatMap((s) => ['--server', s]), '--tokens', tokens, '--first', String(first), '--count', String(count),
      ...sources.flatMap((s) => ['--source', s]),
      '--max-connecting', String(maxConnecting), '--connect-rate', String(connectRate / shares.length),
    ]));
  }

  all(line) { return Promise.all(this.procs.map((p) => p.cmd(line))); }

  async status() {
    const parts = await this.all('status');
    const sum = (k) => parts.reduce((a, p) => a + p[k], 0);
    return {
      streams: sum('streams'), open: sum('open'), connecting: sum('connecting'), waiting: sum('waiting'),
      refused: sum('refused'), connects: sum('connects'), failures: sum('failures'), events: sum('events'),
      rss_kib: sum('rss_kib'), last_open_ns: Math.max(...parts.map((p) => p.last_open_ns)),
    };
  }

  // Until every process has all its streams open.
  async waitAllOpen(timeoutMs) {
    const parts = await Promise.all(this.procs.map(async (p) => {
      const { streams } = await p.cmd('status');
      return p.cmd(`wait-open ${streams} ${timeoutMs}`);
    }));
    return { ok: parts.every((p) => p.ok), ms: Math.max(...parts.map((p) => p.ms)) };
  }

  arm() { return this.all('arm'); }

  // Until `wanted` streams in all (split by each process's share) saw their event.
  async collect(t0, wantedEach, timeoutMs) {
    const parts = await Promise.all(this.procs.map((p, i) => p.cmd(`collect ${t0} ${wantedEach[i]} ${timeoutMs}`)));
    return {
      received: parts.reduce((a, p) => a + p.received, 0),
      max_us: Math.max(...parts.map((p) => p.max_us)),
      min_us: Math.min(...parts.map((p) => p.min_us)),
      max_revision: Math.max(...parts.map((p) => p.max_revision)),
      parts,
    };
  }

  quit() { return Promise.all(this.procs.map((p) => p.quit())); }
}
