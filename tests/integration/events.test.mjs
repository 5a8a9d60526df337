// GET /v1/events: the fleet feed, with ids to resume from.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseClient } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged({ args: ['--keepalive', '0.2'] });

test('the feed shows config changes, connections, acks and reports, and resumes after an id', async () => {
  const { h } = box;
  const feed = new SseClient(`${h.url}/v1/events`, { token: h.adminToken });
  await feed.ready;
  assert.equal(feed.status, 200);
  const id = uniqueId('feed');
  const created = await h.post('/v1/devices', { id });
  const changed = await feed.waitFor((e) => e.event === 'config_changed' && e.json.devices.includes(id));
  assert.equal(changed.json.revision, created.json.desired_revision);
  const dev = new SseClient(`${h.url}/v1/device/stream`, { token: created.json.token });
  await feed.waitFor((e) => e.event === 'device_connected' && e.json.device === id);
  await h.post('/v1/device/ack', { revision: created.json.desired_revision, status: 'applied' }, { token: created.json.token });
  const ack = await feed.waitFor((e) => e.event === 'ack' && e.json.device === id);
  assert.equal(ack.json.status, 'applied');
  assert.equal(ack.json.sync, 'in_sync');
  await h.post('/v1/device/report', { reported: { up: 1 } }, { token: created.json.token });
  const report = await feed.waitFor((e) => e.event === 'report' && e.json.device === id);
  dev.close();
  await feed.waitFor((e) => e.event === 'device_disconnected' && e.json.device === id);

  const ids = feed.events.map((e) => BigInt(e.id));
  assert.deepEqual([...ids].sort((a, b) => (a < b ? -1 : 1)), ids, 'ids increase');
  feed.close();

  // Resume after the ack: the report and the disconnection come again, nothing before.
  const resumed = new SseClient(`${h.url}/v1/events`, { token: h.adminToken, lastEventId: ack.id });
  const first = await resumed.waitFor(() => true);
  assert.equal(first.id, report.id);
  await resumed.waitFor((e) => e.event === 'device_disconnected' && e.json.device === id);
  resumed.close();
});

test('the feed needs an operator token and a numeric Last-Event-ID', async () => {
  const { h } = box;
  assert.equal((await h.get('/v1/events', { token: null })).status, 401);
  assert.equal((await h.get('/v1/events', { headers: { 'last-event-id': 'abc' } })).status, 400);
});
