// Limits against misbehaving clients, each driven by a raw socket or a client in a hot
// loop: slow headers (slowloris), silent connections, slow bodies, idle keep-alive
// connections, open streams per address, and the token buckets per address, per
// operator token, per device and per device's stream connections (429 with
// Retry-After). Beyond every limit, a well-behaved client is still served at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Henged, SseClient, waitFor } from './harness.mjs';

async function withHenged(t, args) {
  const h = await new Henged({ store: 'memory', args }).start();
  t.after(async () => {
    const { code, signal } = await h.stop();
    h.cleanup();
    assert.equal(code, 0, `henged exited with ${code ?? signal}:\n${h.stderr.slice(-3000)}`);
  });
  return h;
}

// A raw connection; `closedAt` resolves with the time henged closed it.
function connect(h, { localAddress } = {}) {
  const [host, port] = h.address.split(':');
  const sock = net.connect({ port: Number(port), host, localAddress });
  sock.on('error', () => {});
  sock.data = '';
  sock.on('data', (d) => (sock.data += d));
  sock.closedAt = new Promise((resolve) => sock.on('close', () => resolve(Date.now())));
  sock.openedAt = new Promise((resolve) => sock.on('connect', () => resolve(Date.now())));
  return sock;
}

// One request from `localAddress` (a loopback address of its own), through Node's
// http client: { status, headers, body }.
function requestFrom(h, path, { localAddress, token, method = 'GET' } = {}) {
  const [host, port] = h.address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), path, method, localAddress, agent: false,
      headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// A well-behaved client is answered, and quickly, while the misbehaving ones go on.
async function assertServed(h) {
  const started = Date.now();
  const r = await h.get('/v1/devices');
  assert.equal(r.status, 200);
  assert.ok(Date.now() - started < 1000, `a good client waited ${Date.now() - started} ms`);
}

async function addDevice(h, id) {
  const r = await h.post('/v1/devices', { id });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

test('slowloris: a header sent a byte at a time is cut off at --header-timeout; others are served meanwhile', async (t) => {
  const h = await withHenged(t, ['--header-timeout', '1', '--idle-timeout', '30']);
  const slow = [];
  for (let i = 0; i < 50; ++i) {
    const s = connect(h);
    await s.openedAt;
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    slow.push(s);
  }
  const started = Date.now();
  const drip = setInterval(() => slow.forEach((s) => !s.destroyed && s.write('X')), 100);
  t.after(() => clearInterval(drip));
  await assertServed(h);
  const closedAt = await Promise.all(slow.map((s) => s.closedAt));
  clearInterval(drip);
  const slowest = Math.max(...closedAt) - started;
  assert.ok(slowest < 3000, `every slow header cut off within the 1 s timeout (slowest ${slowest} ms)`);
  assert.ok(slow.every((s) => !s.data.includes('200 OK')), 'none was answered');
  await assertServed(h);
});

test('a connection that sends nothing is closed at --header-timeout, not at the idle timeout', async (t) => {
  const h = await withHenged(t, ['--header-timeout', '1', '--idle-timeout', '60']);
  const s = connect(h);
  const opened = await s.openedAt;
  const closed = await s.closedAt;
  assert.ok(closed - opened >= 800 && closed - opened < 3000, `closed after ${closed - opened} ms`);
});

test('a body sent a byte at a time is cut off at --body-timeout with a 408', async (t) => {
  const h = await withHenged(t, ['--body-timeout', '1']);
  const s = connect(h);
  await s.openedAt;
  s.write(`POST /v1/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.adminToken}\r\n` +
    'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
  const started = Date.now();
  const drip = setInterval(() => !s.destroyed && s.write(' '), 100);
  t.after(() => clearInterval(drip));
  await assertServed(h);
  const closed = await s.closedAt;
  clearInterval(drip);
  assert.ok(closed - started < 3000, `cut off after ${closed - started} ms`);
  assert.match(s.data, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'told why (RFC 9110 §15.5.9) before the close');
  assert.match(s.data, /"status":408/);
  assert.equal((await h.get('/v1/devices')).json.items.length, 0, 'nothing was created');
});

test('an idle keep-alive connection is closed at --idle-timeout; a request within it is served', async (t) => {
  const h = await withHenged(t, ['--idle-timeout', '1']);
  const s = connect(h);
  await s.openedAt;
  s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => s.data.includes('"ok"'), 5000, 'the first answer');
  const answered = Date.now();
  s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => s.data.split('"ok"').length === 3, 5000, 'the second answer on the same connection');
  const closed = await s.closedAt;
  assert.ok(closed - answered >= 800 && closed - answered < 3000, `closed ${closed - answered} ms after the last answer`);
});

test('open streams per source address are capped; another address and a freed slot are served', async (t) => {
  // A short keepalive: henged notices a client that went away at its next keepalive.
  const h = await withHenged(t, ['--streams-per-address', '2', '--keepalive', '0.2']);
  const tokens = [];
  for (let i = 0; i < 4; ++i) tokens.push(await addDevice(h, `cap-${i}`));
  const open = [];
  t.after(() => open.forEach((c) => c.close()));
  for (const token of tokens.slice(0, 2)) {
    const c = new SseClient(`${h.url}/v1/device/stream`, { token });
    open.push(c);
    await c.ready;
    assert.equal(c.status, 200);
  }
  const third = await requestFrom(h, '/v1/device/stream', { token: tokens[2] });
  assert.equal(third.status, 429);
  assert.equal(third.headers['content-type'], 'application/problem+json');
  assert.ok(Number(third.headers['retry-after']) >= 1);
  assert.match(JSON.parse(third.body).detail, /too many open streams from 127\.0\.0\.1/);
  assert.equal((await h.get('/v1/devices/cap-2')).json.connected, false, 'the refused stream never counted');

  // Another source address has its own count.
  const other = await new Promise((resolve) => {
    const [host, port] = h.address.split(':');
    const req = http.request({ host, port: Number(port), path: '/v1/device/stream', localAddress: '127.0.0.2',
      agent: false, headers: { authorization: `Bearer ${tokens[3]}` } }, (res) => { resolve(res.statusCode); res.destroy(); });
    req.on('error', () => resolve(null));
    req.end();
  });
  assert.equal(other, 200);

  // Closing one frees its slot once henged notices.
  open.shift().close();
  const again = await waitFor(async () => {
    const c = new SseClient(`${h.url}/v1/device/stream`, { token: tokens[2] });
    await c.ready;
    if (c.status === 200) return c;
    assert.equal(c.status, 429);
    return null;
  }, 5000, 'the freed slot to take a new stream');
  open.push(again);
  await assertServed(h);
});

test('a device reconnecting in a hot loop gets 429 with Retry-After (default: 1 a second, 5 at once); other devices are not affected', async (t) => {
  const h = await withHenged(t, []);  // the default limits
  const hot = await addDevice(h, 'hot');
  const calm = await addDevice(h, 'calm');
  const statuses = [];
  for (let i = 0; i < 10; ++i) {
    const c = new SseClient(`${h.url}/v1/device/stream`, { token: hot });
    await c.ready;
    statuses.push(c.status);
    c.close();
  }
  assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200], `the burst is allowed: ${statuses}`);
  assert.ok(statuses.slice(5).filter((s) => s === 429).length >= 4, `the loop is refused: ${statuses}`);
  const refused = await requestFrom(h, '/v1/device/stream', { token: hot });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  assert.match(JSON.parse(refused.body).detail, /too many stream connections from device hot/);

  const c = new SseClient(`${h.url}/v1/device/stream`, { token: calm });
  t.after(() => c.close());
  await c.ready;
  assert.equal(c.status, 200, 'another device connects');
  // Waiting as told is enough.
  await waitFor(async () => {
    const s = new SseClient(`${h.url}/v1/device/stream`, { token: hot });
    await s.ready;
    s.close();
    return s.status === 200;
  }, 3000, 'the hot device to be let in after a second');
});

test('device API requests per device, operator requests per token and all requests per address are bucketed', async (t) => {
  // Slow refills, so that what a burst allows is exact however fast this machine runs.
  const h = await withHenged(t, ['--device-rate', '0.2,3', '--operator-rate', '0.2,5', '--address-rate', '0.2,30']);
  const a = await addDevice(h, 'bucket-a');
  const b = await addDevice(h, 'bucket-b');
  const codes = [];
  for (let i = 0; i < 5; ++i) codes.push((await requestFrom(h, '/v1/device/config', { token: a, localAddress: '127.0.0.3' })).status);
  assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  assert.equal((await requestFrom(h, '/v1/device/config', { token: b, localAddress: '127.0.0.3' })).status, 200);

  const viewer = (await h.post('/v1/tokens', { name: 'bucket-viewer', role: 'viewer' })).json.token;
  const ops = [];
  for (let i = 0; i < 7; ++i) ops.push((await requestFrom(h, '/v1/devices', { token: viewer, localAddress: '127.0.0.4' })).status);
  assert.deepEqual(ops, [200, 200, 200, 200, 200, 429, 429]);
  const r = await requestFrom(h, '/v1/devices', { token: viewer, localAddress: '127.0.0.4' });
  assert.match(JSON.parse(r.body).detail, /too many requests with token bucket-viewer/);

  // From one address, even without a token: 429 before 401.
  const fromOne = [];
  for (let i = 0; i < 40; ++i) fromOne.push((await requestFrom(h, '/v1/devices', { localAddress: '127.0.0.5' })).status);
  assert.deepEqual([...new Set(fromOne.slice(0, 30))], [401]);
  assert.deepEqual([...new Set(fromOne.slice(30))], [429]);
  assert.equal((await requestFrom(h, '/v1/devices', { localAddress: '127.0.0.6' })).status, 401, 'another address is its own');
  assert.equal((await requestFrom(h, '/healthz', { localAddress: '127.0.0.5' })).status, 200, 'health checks are never limited');
});

test('henge-agent waits out a 429\'s Retry-After instead of retrying at its backoff', async (t) => {
  const h = await withHenged(t, ['--stream-connect-rate', '0.5,1']);
  const token = await addDevice(h, 'patient');
  // Spend the device's one stream connection, so the agent's first try is refused.
  const first = new SseClient(`${h.url}/v1/device/stream`, { token });
  await first.ready;
  assert.equal(first.status, 200);
  first.close();
  const { Agent } = await import('./clients.mjs');
  const agent = new Agent({ server: h.url, token, args: ['--backoff-base', '0.05', '--backoff-cap', '10'] }).start();
  t.after(() => agent.stop());
  await agent.waitLog('the server answered the stream with 429');
  await agent.waitLog('stream connected', 10000);
  const refused = h.stderr.split('\n').filter((l) => l.includes('path=/v1/device/stream') && l.includes('status=429'));
  assert.equal(refused.length, 1, `one refused try, then a wait of Retry-After (2 s), not of the 50 ms backoff:\n${refused.join('\n')}`);
});
