// What henge's benchmarks share: HTTP requests with the admin token (or none: null) over kept-alive
// connections, a device stream on a raw socket, percentiles, free ports.

import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export const ADMIN = 'bench-admin-token';

export const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function request(port, method, path, body, token = ADMIN) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}), ...(data ? { 'content-type': 'application/json' } : {}),
        } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        // The ETag of a config write names the revision it took.
        const etag = /"(\d+)"/.exec(res.headers.etag ?? '');
        res.on('end', () => resolve({
          status: res.statusCode, json: text ? JSON.parse(text) : undefined, revision: etag ? Number(etag[1]) : undefined,
        }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

// A device stream on a raw socket that records when each revision's event arrives.
export class Stream {
  constructor(port, token, onEvent) {
    this.buf = '';
    this.sock = net.connect(port, '127.0.0.1', () => {
      this.sock.write(`GET /v1/device/stream HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    });
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d) => {
      const now = performance.now();
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf('\n\n')) >= 0) {
        const block = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const m = /^id: (\d+)$/m.exec(block);
        if (m) onEvent(Number(m[1]), now);
      }
    });
    this.sock.on('error', () => {});
  }
  close() { this.sock.destroy(); }
}

// An answer a benchmark needs: any other status ends the run, and no figure is printed
// for what it was timing (a rate limiter's 429s are not a store's throughput).
export function expectStatus(r, statuses, what) {
  if (!statuses.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.json ?? '')}`);
  return r;
}

export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
export const ms = (x) => x.toFixed(2);

export async function waitUntil(pred, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}


export function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    });
  });
}
