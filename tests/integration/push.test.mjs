// The device side of the protocol: the stream, resume, acknowledgements, polling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { SseClient, waitFor } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged({ args: ['--keepalive', '0.2'] });

async function device(h, extra = {}) {
  const id = uniqueId('dev');
  const r = await h.post('/v1/devices', { id, ...extra });
  assert.equal(r.status, 201);
  return { id, token: r.json.token, revision: r.json.desired_revision };
}

function stream(h, token, opts = {}) {
  return new SseClient(`${h.url}/v1/device/stream`, { token, ...opts });
}

// How fast a push lands is bench/push_bench.mjs's to measure; these tests assert that it
// lands, with deadlines a loaded sanitizer build meets.
test('curl -N as the device receives a changed value, with its revision as the id', async () => {
  const { h } = box;
  const d = await device(h);
  const curl = spawn('curl', ['-sN', '-H', `Authorization: Bearer ${d.token}`, `${h.url}/v1/device/stream`]);
  let out = '';
  curl.stdout.on('data', (b) => (out += b));
  try {
    await waitFor(() => out.includes(`id: ${d.revision}\n`), 5000, 'the current config');
    assert.ok(out.startsWith('retry: 2000\n\n'), out);
    const w = await h.patch(`/v1/devices/${d.id}/config`, { led: { on: true } });
    assert.equal(w.status, 200);
    const rev = w.json.revision;
    await waitFor(() => out.includes(`id: ${rev}\n`), 10000, 'the pushed config');
    const frame = out.slice(out.indexOf(`event: config\nid: ${rev}\n`));
    const raw = /data: (.*)\n/.exec(frame)[1];
    const data = JSON.parse(raw);
    assert.deepEqual(data, { revision: rev, schema: null, sha256: w.json.sha256, config: { led: { on: true } } });
    // docs/protocol.md: sha256 covers the bytes of the config member as sent.
    const slice = raw.slice(raw.indexOf('"config":') + '"config":'.length, -1);
    assert.equal(createHash('sha256').update(slice).digest('hex'), data.sha256);
  } finally {
    curl.kill();
  }
});

test('resume: Last-Event-ID equal and answered gets nothing until the next change; older or absent gets the current config', async () => {
  const { h } = box;
  const d = await device(h);
  // Not yet acknowledged: the device may have applied it and lost its ack, so it gets
  // the config again (decision 0015) ...
  const unanswered = stream(h, d.token, { lastEventId: d.revision });
  const again = await unanswered.waitFor((e) => e.event === 'config', 1000, 'the unacknowledged config');
  assert.equal(again.id, String(d.revision));
  unanswered.close();
  // ... and once its answer is recorded, applied or rejected, nothing is resent.
  assert.equal((await h.post('/v1/device/ack', { revision: d.revision, status: 'rejected', error: 'no' },
    { token: d.token })).status, 204);
  const equal = stream(h, d.token, { lastEventId: d.revision });
  await equal.ready;
  assert.equal(equal.status, 200);
  assert.equal(equal.contentType, 'text/event-stream');
  await waitFor(() => equal.comments.includes('keepalive'), 3000, 'a keepalive');
  assert.equal(equal.configs().length, 0, 'nothing is sent for a revision the device has');
  const w = await h.put(`/v1/devices/${d.id}/config/x`, 1);
  const ev = await equal.waitFor((e) => e.event === 'config', 1000, 'the next change');
  assert.equal(ev.id, String(w.json.revision));
  equal.close();

  const older = stream(h, d.token, { lastEventId: d.revision });
  const got = await older.waitFor((e) => e.event === 'config', 1000, 'the current config');
  assert.equal(got.id, String(w.json.revision));
  assert.deepEqual(got.json.config, { x: 1 });
  older.close();

  for (const lastEventId of [undefined, 'garbage']) {
    const fresh = stream(h, d.token, { lastEventId });
    const cur = await fresh.waitFor((e) => e.event === 'config', 1000, 'the current config');
    assert.equal(cur.json.revision, w.json.revision);
    fresh.close();
  }
});

test('ack applied gives in_sync; rejected gives failed with the error; a new write gives pending', async () => {
  const { h } = box;
  const d = await device(h);
  const dev = (path, body) => h.post(path, body, { token: d.token });
  let info = await h.get(`/v1/devices/${d.id}`);
  assert.equal(info.json.status, 'never_connected');

  assert.equal((await dev('/v1/device/ack', { revision: d.revision, status: 'applied' })).status, 204);
  info = await h.get(`/v1/devices/${d.id}`);
  assert.equal(info.json.status, 'in_sync');
  assert.equal(info.json.applied_revision, d.revision);
  assert.ok(info.json.applied_at && info.json.last_seen);

  const w = await h.put(`/v1/devices/${d.id}/config/x`, 2);
  info = await h.get(`/v1/devices/${d.id}`);
  assert.equal(info.json.status, 'pending');

  assert.equal((await dev('/v1/device/ack', { revision: w.json.revision, status: 'rejected', error: 'disk full' })).status, 204);
  info = await h.get(`/v1/devices/${d.id}`);
  assert.equal(info.json.status, 'failed');
  assert.equal(info.json.error, 'disk full');

  let list = await h.get('/v1/devices?status=failed&limit=1000');
  assert.ok(list.json.items.some((x) => x.id === d.id));
  list = await h.get('/v1/devices?status=in_sync&limit=1000');
  assert.ok(!list.json.items.some((x) => x.id === d.id));

  assert.equal((await dev('/v1/device/ack', { revision: w.json.revision, status: 'applied' })).status, 204);
  info = await h.get(`/v1/devices/${d.id}`);
  assert.equal(info.json.status, 'in_sync');
  assert.equal(info.json.error, null);
});

test('acks and reports reject bad input; an ack for a revision never sent is 409', async () => {
  const { h } = box;
  const d = await device(h);
  const dev = (path, body, opts = {}) => h.post(path, body, { token: d.token, ...opts });
  assert.equal((await dev('/v1/device/ack', { revision: 999999, status: 'applied' })).status, 409);
  for (const body of [{}, { revision: d.revision }, { revision: d.revision, status: 'done' }, { revision: -1, status: 'applied' },
    { revision: d.revision, status: 'applied', extra: 1 }, { revision: d.revision, status: 'rejected', error: 5 }]) {
    assert.equal((await dev('/v1/device/ack', body)).status, 400, JSON.stringify(body));
  }
  assert.equal((await dev('/v1/device/ack', '{oops')).status, 400);
  assert.equal((await dev('/v1/device/ack', JSON.stringify({ revision: 1 }), { contentType: 'text/plain' })).status, 415);

  assert.equal((await dev('/v1/device/report', { reported: { firmware: '1.2', uptime: 5 } })).status, 204);
  const info = await h.get(`/v1/devices/${d.id}`);
  assert.deepEqual(info.json.reported, { firmware: '1.2', uptime: 5 });
  assert.equal((await dev('/v1/device/report', { firmware: '1.2' })).status, 400);
  assert.equal((await dev('/v1/device/report', { reported: 'x' })).status, 400);
  assert.equal((await dev('/v1/device/report', { reported: { blob: 'x'.repeat(70 * 1024) } })).status, 413);
});

test('the device API takes only device tokens', async () => {
  const { h } = box;
  for (const [method, path] of [['GET', '/v1/device/stream'], ['GET', '/v1/device/config'],
    ['POST', '/v1/device/ack'], ['POST', '/v1/device/report']]) {
    const body = method === 'POST' ? {} : undefined;
    assert.equal((await h.req(method, path, { token: null, body })).status, 401, path);
    assert.equal((await h.req(method, path, { token: 'nope', body })).status, 401, path);
    assert.equal((await h.req(method, path, { body })).status, 403, `${path} with the admin token`);
  }
});

test('poll: GET /v1/device/config with ETag and If-None-Match', async () => {
  const { h } = box;
  const d = await device(h, { config: { a: 1 } });
  let r = await h.get('/v1/device/config', { token: d.token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), `"${d.revision}"`);
  assert.deepEqual(r.json.config, { a: 1 });
  assert.equal(r.json.revision, d.revision);
  // Unanswered, the same revision comes again (its ack may have been lost) ...
  r = await h.get('/v1/device/config', { token: d.token, headers: { 'if-none-match': `"${d.revision}"` } });
  assert.equal(r.status, 200);
  assert.equal(r.json.revision, d.revision);
  // ... and once answered, it is not modified.
  assert.equal((await h.post('/v1/device/ack', { revision: d.revision, status: 'applied' }, { token: d.token })).status, 204);
  r = await h.get('/v1/device/config', { token: d.token, headers: { 'if-none-match': `"${d.revision}"` } });
  assert.equal(r.status, 304);
  assert.equal(r.text, '');
  const w = await h.put(`/v1/devices/${d.id}/config/a`, 2);
  r = await h.get('/v1/device/config', { token: d.token, headers: { 'if-none-match': `"${d.revision}"` } });
  assert.equal(r.status, 200);
  assert.equal(r.json.revision, w.json.revision);
  assert.equal((await h.get(`/v1/devices/${d.id}`)).json.status, 'pending', 'polling marks the device seen');
});

test('a second stream replaces the first; delete and token rotation close the stream at once', async () => {
  const { h } = box;
  const d = await device(h);
  const first = stream(h, d.token);
  await first.waitFor((e) => e.event === 'config');
  const second = stream(h, d.token);
  await second.waitFor((e) => e.event === 'config');
  const goaway = await first.waitFor((e) => e.event === 'goaway', 2000, 'goaway');
  assert.deepEqual(goaway.json, { reason: 'replaced' });
  await first.waitEnded();
  await waitFor(async () => (await h.get(`/v1/devices/${d.id}`)).json.connected, 2000, 'still connected');

  const rotated = await h.post(`/v1/devices/${d.id}/token`);
  assert.deepEqual((await second.waitFor((e) => e.event === 'goaway', 2000)).json, { reason: 'token_rotated' });
  await second.waitEnded();
  await waitFor(async () => !(await h.get(`/v1/devices/${d.id}`)).json.connected, 2000, 'marked disconnected');

  const third = stream(h, rotated.json.token);
  await third.waitFor((e) => e.event === 'config');
  assert.equal((await h.del(`/v1/devices/${d.id}`)).status, 204);
  assert.deepEqual((await third.waitFor((e) => e.event === 'goaway', 2000)).json, { reason: 'deleted' });
  await third.waitEnded();
});

test('connected and last_seen follow the stream; the connected filter lists it', async () => {
  const { h } = box;
  const d = await device(h);
  const s = stream(h, d.token);
  await s.waitFor((e) => e.event === 'config');
  // Connections reach the store in batches, within a fraction of a second.
  const info = await waitFor(async () => {
    const r = await h.get(`/v1/devices/${d.id}`);
    return r.json.connected ? r : null;
  }, 2000, 'the connection to be recorded');
  assert.ok(info.json.last_seen);
  let list = await h.get('/v1/devices?connected=true&limit=1000');
  assert.ok(list.json.items.some((x) => x.id === d.id));
  s.close();
  await waitFor(async () => !(await h.get(`/v1/devices/${d.id}`)).json.connected, 3000, 'disconnect to be seen');
  list = await h.get('/v1/devices?connected=false&limit=1000');
  assert.ok(list.json.items.some((x) => x.id === d.id));
  assert.equal((await h.get('/v1/devices?connected=maybe')).status, 400);
  assert.equal((await h.get('/v1/devices?status=unknown')).status, 400);
});

test('keepalive comments arrive at the configured interval', async () => {
  const { h } = box;
  const d = await device(h);
  const s = stream(h, d.token);
  await s.waitFor((e) => e.event === 'config');
  await waitFor(() => s.comments.filter((c) => c === 'keepalive').length >= 3, 3000, 'three keepalives');
  s.close();
});

test('a client that never reads does not delay writers or another device', async () => {
  const { h } = box;
  const slow = await device(h);
  const fast = await device(h);
  // A raw connection that asks for the stream and then never reads a byte.
  const [host, port] = h.address.split(':');
  const sock = net.connect(Number(port), host);
  await new Promise((r) => sock.on('connect', r));
  sock.pause();
  sock.write(`GET /v1/device/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slow.token}\r\n\r\n`);
  await waitFor(async () => (await h.get(`/v1/devices/${slow.id}`)).json.connected, 3000, 'the slow device');
  const fastStream = stream(h, fast.token);
  await fastStream.waitFor((e) => e.event === 'config');
  try {
    // Far more than the socket buffers hold, so the slow device's writes stall.
    const big = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 30; i++) {
      const r = await h.put(`/v1/devices/${slow.id}/config`, { i, big });
      assert.equal(r.status, 200);
    }
    // A writer held up by the stalled socket would wait until the stall ends it (the
    // stream's write timeout: 5 s at least); 3 s tells that apart from a loaded machine.
    const w = await h.put(`/v1/devices/${fast.id}/config/n`, 1);
    await fastStream.waitFor((e) => e.id === String(w.json.revision), 3000, 'the fast device, not held up by the slow one');
  } finally {
    fastStream.close();
    sock.destroy();
  }
});
