// Starts real henged processes for the integration tests and talks to them over HTTP.
// Every wait has a deadline; nothing sleeps to synchronize.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export const HENGED = process.env.HENGED_BIN;
if (!HENGED) throw new Error('HENGED_BIN must name the henged binary');

export const ADMIN = 'test-admin-token';

export function tempDir(prefix = 'henge-it-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

// Waits until `predicate()` is truthy, polling; fails after `ms`.
export async function waitFor(predicate, ms = 10000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class Henged {
  constructor({ dataDir, store = 'sqlite', adminToken = ADMIN, args = [], env = {}, listen } = {}) {
    this.listen = listen;
    this.ownsDir = !dataDir;
    this.dataDir = dataDir ?? tempDir();
    this.store = store;
    this.adminToken = adminToken;
    this.args = args;
    this.env = env;
    this.stdout = '';
    this.stderr = '';
  }

  // Starts the process and resolves once it logs the address it listens on.
  async start() {
    // A short drain keeps each test's shutdown quick; tests of draining set their own.
    const args = ['--listen', this.listen ?? '127.0.0.1:0', '--data-dir', this.dataDir, '--store', this.store,
      ...(this.args.includes('--drain') ? [] : ['--drain', '0.5']), ...this.args];
    if (this.adminToken) args.push('--admin-token', this.adminToken);
    this.stdout = '';
    this.stderr = '';
    this.proc = spawn(HENGED, args, {
      env: { ...process.env, ...this.env, ASAN_OPTIONS: 'detect_leaks=1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.proc.stdout.on('data', (d) => (this.stdout += d));
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    let early = null;
    this.exited.then((e) => (early = e));
    let address;
    try {
      address = await waitFor(
        () => {
          if (early) throw new Error(`henged exited early (${JSON.stringify(early)}): ${this.stderr}`);
          // The text log says `listening address=…`, the JSON log "address":"…".
          const m = /listening address=(\S+)/.exec(this.stderr) ??
            /"msg":"listening","address":"([^"]+)"/.exec(this.stderr);
          return m?.[1];
        },
        20000,
        'henged to listen',
      );
    } catch (e) {
      this.proc.kill('SIGKILL');  // a henged left running would keep the test file alive
      throw e;
    }
    this.address = address;
    const scheme = /listening address=\S+ scheme=(https?)/.exec(this.stderr)?.[1] ??
      /"msg":"listening","address":"[^"]+","scheme":"(https?)"/.exec(this.stderr)?.[1] ?? 'http';
    this.url = `${scheme}://${address}`;
    return this;
  }

  // SIGTERM and wait; resolves with the exit status.
  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    return this.exited;
  }

  async kill9() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    return this.exited;
  }

  cleanup() {
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  // One HTTP request. `body` is JSON-encoded unless it is a string.
  async req(method, path, { body, token = this.adminToken, contentType, headers = {} } = {}) {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] = contentType ?? 'application/json';
    } else if (contentType) {
      h['content-type'] = contentType;
    }
    const res = await fetch(this.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  get(path, opts) { return this.req('GET', path, opts); }
  post(path, body, opts = {}) { return this.req('POST', path, { ...opts, body }); }
  put(path, body, opts = {}) { return this.req('PUT', path, { ...opts, body }); }
  patch(path, body, opts = {}) { return this.req('PATCH', path, { ...opts, body }); }
  del(path, opts) { return this.req('DELETE', path, opts); }
}

// Starts a henged for a test file; stops it (asserting a clean exit) after.
export async function withHenged(t, options) {
  const h = await new Henged(options).start();
  t.after(async () => {
    const { code, signal } = await h.stop();
    h.cleanup();
    if (code !== 0) throw new Error(`henged exited with ${code ?? signal}: ${h.stderr.slice(-4000)}`);
  });
  return h;
}

// Sends raw bytes on a new connection and resolves with everything read until close.
export function rawRequest(address, bytes, { timeoutMs = 15000 } = {}) {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), host);
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => (data += d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

export const LED_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    led: {
      type: 'object',
      properties: {
        on: { type: 'boolean', default: false },
        brightness: { type: 'integer', minimum: 0, maximum: 100, default: 20 },
      },
      additionalProperties: false,
    },
    interval: { type: 'number' },
  },
};

// A server-sent-event client over fetch: collects events as they arrive so a test
// can wait for the one it expects. Frames are parsed per the SSE specification.
export class SseClient {
  constructor(url, { token, lastEventId, headers = {} } = {}) {
    this.url = url;
    this.events = [];      // {event, id, data, json, at (arrival, ms)}
    this.comments = [];
    this.retry = undefined;
    this.controller = new AbortController();
    const h = { ...headers, accept: 'text/event-stream' };
    if (token) h.authorization = `Bearer ${token}`;
    if (lastEventId !== undefined) h['last-event-id'] = String(lastEventId);
    this.ready = fetch(url, { headers: h, signal: this.controller.signal }).then((res) => {
      this.status = res.status;
      this.contentType = res.headers.get('content-type');
      if (res.status !== 200) return res.text().then((t) => { this.errorBody = t; this.done = true; });
      this.ended = this.#pump(res.body.getReader());
      return undefined;
    });
  }

  async #pump(reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          this.#frame(block);
        }
      }
    } catch {
      // aborted or reset: the stream is over either way
    }
    this.done = true;
  }

  #frame(block) {
    const ev = { event: 'message', data: [], at: Date.now() };
    let any = false;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'retry') this.retry = Number(value);
      else if (field === 'event') { ev.event = value; any = true; }
      else if (field === 'id') { ev.id = value; any = true; }
      else if (field === 'data') { ev.data.push(value); any = true; }
    }
    if (!any) return;
    ev.data = ev.data.join('\n');
    try { ev.json = JSON.parse(ev.data); } catch { ev.json = undefined; }
    this.events.push(ev);
  }

  // Waits for the n-th (0-based) event matching `pred`, failing after `ms`.
  async waitFor(pred, ms = 5000, what = 'an event') {
    await this.ready;
    return waitFor(() => this.events.find(pred), ms, what);
  }

  configs() { return this.events.filter((e) => e.event === 'config'); }

  async waitEnded(ms = 5000) {
    await this.ready;
    return waitFor(() => this.done, ms, 'the stream to end');
  }

  close() { this.controller.abort(); }
}
