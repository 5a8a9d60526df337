// /metrics: Prometheus' text format, accepted by `promtool check metrics`, counting what
// this test did — requests by route and status, pushes and their latency, acks, 429s by
// limit, devices by sync status, open streams, store transactions — for operator tokens
// only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Henged, SseClient, waitFor } from './harness.mjs';

function promtool(text) {
  return new Promise((resolve) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
    p.stdin.end(text);
  });
}

// The value of the sample `name{labels}` ("" for none), or undefined.
function value(text, name, labels = '') {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('/metrics counts requests, pushes, acks, limits, devices and streams, in a format promtool accepts', async (t) => {
  const h = await new Henged({ store: 'memory', args: ['--stream-connect-rate', '1,2'] }).start();
  t.after(async () => {
    assert.equal((await h.stop()).code, 0);
    h.cleanup();
  });
  const viewer = (await h.post('/v1/tokens', { name: 'prometheus', role: 'viewer' })).json.token;
  const added = await h.post('/v1/devices', { id: 'm-1' });
  assert.equal(added.status, 201);
  const device = added.json.token;

  const stream = new SseClient(`${h.url}/v1/device/stream`, { token: device });
  t.after(() => stream.close());
  await stream.ready;
  const writes = 3;
  let revision = 0;
  for (let i = 1; i <= writes; ++i) {
    revision = (await h.put('/v1/devices/m-1/config', { n: i })).json.revision;
    await waitFor(() => stream.events.some((e) => e.event === 'config' && e.json?.revision === revision), 5000,
      `push ${i}`);
  }
  const ack = await h.req('POST', '/v1/device/ack', { token: device, body: { revision, status: 'applied' } });
  assert.equal(ack.status, 204, ack.text);
  // Over the stream connection limit: the first two get in (one replaces the other).
  const statuses = [];
  for (let i = 0; i < 3; ++i) {
    const extra = new SseClient(`${h.url}/v1/device/stream`, { token: device });
    await extra.ready;
    statuses.push(extra.status);
    extra.close();
  }
  assert.ok(statuses.includes(429), `${statuses}`);

  assert.equal((await h.get('/metrics', { token: null })).status, 401);
  assert.equal((await h.get('/metrics', { token: device })).status, 403);
  const r = await h.get('/metrics', { token: viewer });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const checked = await promtool(r.text);
  assert.equal(checked.code, 0, `promtool check metrics:\n${checked.out}\n${r.text}`);

  const m = r.text;
  assert.equal(value(m, 'henge_http_requests_total', 'route="/v1/devices",method="POST",status="201"'), 1);
  assert.equal(value(m, 'henge_http_requests_total', 'route="/v1/devices/{id}/config",method="PUT",status="200"'), writes);
  assert.equal(value(m, 'henge_http_requests_total', 'route="/metrics",method="GET",status="401"'), 1);
  assert.ok(value(m, 'henge_http_request_duration_seconds_count', 'route="/v1/devices/{id}/config",method="PUT"') === writes);
  // One push per write, each timed from its commit to its event written (a stream's first
  // config, sent when it connects, is no push of a change).
  const pushes = value(m, 'henge_pushes_total');
  assert.equal(pushes, writes);
  assert.equal(value(m, 'henge_push_latency_seconds_count'), writes);
  assert.ok(value(m, 'henge_push_latency_seconds_sum') > 0);
  assert.equal(value(m, 'henge_acks_total', 'status="applied"'), 1);
  assert.ok(value(m, 'henge_rate_limited_total', 'limit="stream_connect"') >= 1);
  assert.equal(value(m, 'henge_devices', 'status="in_sync"'), 1);
  assert.equal(value(m, 'henge_devices', 'status="pending"'), 0);
  assert.ok(value(m, 'henge_streams_open') >= 1);
  assert.ok(value(m, 'henge_connections_open') >= 1);
  assert.ok(value(m, 'henge_store_transaction_duration_seconds_count', 'kind="write"') >= writes);
  assert.ok(!m.includes(device) && !m.includes(viewer) && !m.includes(h.adminToken), 'no token in the metrics');
});
