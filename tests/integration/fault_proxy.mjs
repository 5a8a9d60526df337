// A fault-injecting HTTP proxy between a device client and henged. It forwards every
// request, records every frame of every stream and every ack, and injects the faults
// a test queues: an answer of its own (429, 503 with Retry-After), a cut connection, a
// corrupted config event, a goaway, an oversized event. The recording is what
// protocol_check.mjs validates.

import http from 'node:http';
import { URL } from 'node:url';

// Parses one SSE block (without its blank line) into {event, id, data, json, comment}.
export function parseBlock(block) {
  const frame = { event: 'message', id: undefined, data: [], comment: undefined, retry: undefined };
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') frame.event = value;
    else if (field === 'id') frame.id = value;
    else if (field === 'data') frame.data.push(value);
    else if (field === 'retry') frame.retry = Number(value);
  }
  frame.data = frame.data.join('\n');
  try {
    frame.json = frame.data ? JSON.parse(frame.data) : undefined;
  } catch {
    frame.json = undefined;
  }
  return frame;
}

export class FaultProxy {
  constructor(upstream) {
    this.upstream = new URL(upstream);
    this.streams = []; // {lastEventId, token, status, frames: [{...frame, at}], openedAt, closedAt}
    this.acks = [];    // {body, status (what the client was answered, 0 = cut), at}
    this.requests = []; // {method, path, at, status}
    this.faults = [];  // queued, see fault()
    this.live = new Set();
  }

  static async start(upstream) {
    const p = new FaultProxy(upstream);
    p.server = http.createServer((req, res) => p.#handle(req, res));
    await new Promise((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.url = `http://127.0.0.1:${p.server.address().port}`;
    return p;
  }

  async close() {
    for (const s of this.live) s.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  // Queues a fault. `where` is a request path ("/v1/device/ack", "/v1/device/stream")
  // for an answer or a cut of the request itself, or "frame" for a change to the next
  // config event on a stream. `what`:
  //   {status, retryAfter, body}  answer this instead of forwarding
  //   {cut: true}                 close the connection without an answer
  //   {corrupt: true}             (frame) flip the config event's sha256
  //   {goaway: reason}            (frame) send the config, then a goaway, and close
  //   {cutAfter: true}            (frame) send the config, then close
  //   {stall: true}               (frame) send the config, then nothing more (no
  //                               keepalive either), holding the connection open
  // `times` (default 1) is how many requests or frames it applies to.
  fault(where, what, times = 1) {
    this.faults.push({ where, what, left: times });
  }

  clearFaults() {
    this.faults = [];
  }

  // Cuts every stream that is open now, as a network failure would.
  cutStreams() {
    for (const socket of this.live) socket.destroy();
  }

  // The held stream that carried the injected goaway `reason`.
  streamWithGoaway(reason) {
    return this.heldStreams().find((s) => s.frames.some((f) => f.injected && f.json?.reason === reason));
  }

  #take(where) {
    const f = this.faults.find((x) => x.where === where && x.left > 0);
    if (!f) return undefined;
    f.left -= 1;
    return f.what;
  }

  // Streams opened so far whose answer was 200.
  heldStreams() {
    return this.streams.filter((s) => s.status === 200);
  }

  // Every config frame the client was sent, in order, across streams.
  configFrames() {
    return this.streams.flatMap((s) => s.frames.filter((f) => f.event === 'config'));
  }

  #handle(req, res) {
    const path = req.url.split('?')[0];
    const at = Date.now();
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const record = { method: req.method, path, at, status: 0 };
      this.requests.push(record);
      const ack = path === '/v1/device/ack' ? { body: safeJson(body), status: 0, at } : undefined;
      if (ack) this.acks.push(ack);
      const stream = path === '/v1/device/stream'
        ? { lastEventId: req.headers['last-event-id'], token: req.headers.authorization, status: 0, frames: [],
          openedAt: at, closedAt: undefined }
        : undefined;
      if (stream) this.streams.push(stream);
      const fault = this.#take(path);
      if (fault?.cut) {
        if (stream) stream.closedAt = Date.now();
        req.socket.destroy();
        return;
      }
      if (fault?.status) {
        record.status = fault.status;
        if (ack) ack.status = fault.status;
        if (stream) {
          stream.status = fault.status;
          stream.closedAt = Date.now();
        }
        const headers = { 'content-type': 'application/problem+json', connection: 'close' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        res.writeHead(fault.status, headers);
        res.end(fault.body ?? JSON.stringify({ type: 'about:blank', title: 'injected', status: fault.status,
          detail: `injected by the fault proxy (${fault.status})` }));
        return;
      }
      this.#forward(req, res, body, { record, ack, stream });
    });
  }

  #forward(req, res, body, { record, ack, stream }) {
    const headers = { ...req.headers, host: this.upstream.host, connection: 'close' };
    const up = http.request({
      host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers, agent: false,
    }, (answer) => {
      record.status = answer.statusCode;
      if (ack) ack.status = answer.statusCode;
      if (stream) stream.status = answer.statusCode;
      res.writeHead(answer.statusCode, answer.headers);
      if (!stream || answer.statusCode !== 200) {
        answer.pipe(res);
        return;
      }
      this.live.add(answer.socket);
      this.#relayStream(answer, res, stream);
    });
    up.on('error', () => {
      if (stream) stream.closedAt = Date.now();
      res.destroy();
    });
    up.end(body);
  }

  #relayStream(answer, res, stream) {
    let buffer = '';
    let ended = false;
    let stalled = false;
    const end = () => {
      if (ended) return;
      ended = true;
      stream.closedAt = Date.now();
      this.live.delete(answer.socket);
      answer.destroy();
      res.destroy();
    };
    answer.setEncoding('utf8');
    answer.on('data', (text) => {
      if (stalled) return;
      buffer += text;
      let cut;
      while (!ended && (cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const frame = parseBlock(block);
        let out = `${block}\n\n`;
        let after;
        if (frame.event === 'config') {
          const change = this.#take('frame');
          if (change?.corrupt && frame.json) {
            const bad = { ...frame.json, sha256: frame.json.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
            frame.data = JSON.stringify(bad);
            frame.json = bad;
            frame.corrupted = true;
            out = `event: config\nid: ${frame.id}\ndata: ${frame.data}\n\n`;
          } else if (change?.goaway) {
            after = `event: goaway\ndata: ${JSON.stringify({ reason: change.goaway })}\n\n`;
          } else if (change?.cutAfter) {
            after = '';
          } else if (change?.stall) {
            stalled = true;
          }
        }
        stream.frames.push({ ...frame, at: Date.now() });
        res.write(out);
        if (stalled) {
          stream.stalledAt = Date.now();
          return;
        }
        if (after !== undefined) {
          if (after) {
            res.write(after);
            stream.frames.push({ ...parseBlock(after.trim()), at: Date.now(), injected: true });
          }
          ended = true;
          stream.closedAt = Date.now();
          this.live.delete(answer.socket);
          answer.destroy();
          res.end();
        }
      }
    });
    answer.on('end', end);
    answer.on('error', end);
    res.on('close', end);
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
