import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LED_SCHEMA } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged();

// A device on a fresh LED schema, optionally in groups.
async function ledDevice(h, { groups = [] } = {}) {
  const schema = uniqueId('led');
  assert.equal((await h.put(`/v1/schemas/${schema}`, LED_SCHEMA)).status, 201);
  const id = uniqueId('cfg');
  assert.equal((await h.post('/v1/devices', { id, schema, groups })).status, 201);
  return { id, schema };
}

test('GET config gives the effective config, its revision and where each value came from', async () => {
  const { h } = box;
  const group = uniqueId('grp');
  assert.equal((await h.put(`/v1/groups/${group}`, { priority: 1, config: { led: { brightness: 60 } } })).status, 201);
  const { id, schema } = await ledDevice(h, { groups: [group] });
  await h.put(`/v1/devices/${id}/config/interval`, 5);
  const r = await h.get(`/v1/devices/${id}/config`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.config, { led: { on: false, brightness: 60 }, interval: 5 });
  assert.deepEqual(r.json.sources, {
    '/led/on': 'default',
    '/led/brightness': `group:${group}`,
    '/interval': 'device',
  });
  assert.deepEqual(r.json.schema, { name: schema, version: 1 });
  assert.equal(r.headers.get('etag'), `"${r.json.revision}"`);
  assert.match(r.json.sha256, /^[0-9a-f]{64}$/);
});

test('PUT config replaces the device layer; PATCH merges into it', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  let r = await h.put(`/v1/devices/${id}/config`, { led: { on: true }, interval: 2 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.values, { led: { on: true }, interval: 2 });
  r = await h.put(`/v1/devices/${id}/config`, { interval: 3 });
  assert.deepEqual(r.json.config, { led: { on: false, brightness: 20 }, interval: 3 });
  r = await h.patch(`/v1/devices/${id}/config`, { led: { brightness: 70 }, interval: null }, {
    contentType: 'application/merge-patch+json',
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.config, { led: { on: false, brightness: 70 } });
  assert.deepEqual(r.json.values, { led: { brightness: 70 } });
});

test('PUT and DELETE of one field by JSON pointer', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  let r = await h.put(`/v1/devices/${id}/config/led/brightness`, 45);
  assert.equal(r.status, 200);
  assert.equal(r.json.config.led.brightness, 45);
  assert.equal(r.json.sources['/led/brightness'], 'device');
  r = await h.del(`/v1/devices/${id}/config/led/brightness`);
  assert.equal(r.status, 200);
  assert.equal(r.json.config.led.brightness, 20, 'the default shows through again');
  r = await h.del(`/v1/devices/${id}/config/led/brightness`);
  assert.equal(r.status, 404, 'the device layer no longer sets it');
  r = await h.put(`/v1/devices/${id}/config/a~1b`, 1);
  assert.equal(r.status, 200);
  assert.equal(r.json.config['a/b'], 1, '~1 in a pointer is a slash in the key');
  assert.equal(r.json.sources['/a~1b'], 'device');
});

test('a bad JSON pointer is 400', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  assert.equal((await h.put(`/v1/devices/${id}/config/led~2x`, 1)).status, 400);
  assert.equal((await h.put(`/v1/devices/${id}/config/led%ZZ`, 1)).status, 400);
  assert.equal((await h.put(`/v1/devices/${id}/config/interval`, 1)).status, 200);
  const r = await h.put(`/v1/devices/${id}/config/interval/deeper`, 1);
  assert.equal(r.status, 400, 'nothing can be set below a number');
});

test('a write that breaks the schema is 422 with paths, and changes nothing', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  const before = await h.get(`/v1/devices/${id}/config`);
  const r = await h.patch(`/v1/devices/${id}/config`, { led: { brightness: 500, on: 'yes' } });
  assert.equal(r.status, 422);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  const paths = r.json.errors.map((e) => e.path).sort();
  assert.deepEqual(paths, ['/led/brightness', '/led/on']);
  assert.ok(r.json.errors.every((e) => e.device === id && e.message.length > 0));
  const after = await h.get(`/v1/devices/${id}/config`);
  assert.deepEqual(after.json, before.json);
});

test('If-Match guards config writes', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  const cur = await h.get(`/v1/devices/${id}/config`);
  const etag = cur.headers.get('etag');
  let r = await h.put(`/v1/devices/${id}/config/interval`, 1, { headers: { 'if-match': '"1"' } });
  assert.equal(r.status, 412);
  r = await h.put(`/v1/devices/${id}/config/interval`, 1, { headers: { 'if-match': 'garbage' } });
  assert.equal(r.status, 400);
  r = await h.put(`/v1/devices/${id}/config/interval`, 1, { headers: { 'if-match': etag } });
  assert.equal(r.status, 200);
  r = await h.put(`/v1/devices/${id}/config/interval`, 2, { headers: { 'if-match': etag } });
  assert.equal(r.status, 412, 'the old ETag is stale now');
});

test('dry_run shows before and after and changes nothing', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  const before = await h.get(`/v1/devices/${id}/config`);
  const r = await h.patch(`/v1/devices/${id}/config?dry_run=true`, { led: { on: true } });
  assert.equal(r.status, 200);
  assert.equal(r.json.dry_run, true);
  assert.equal(r.json.devices.length, 1);
  assert.equal(r.json.devices[0].device, id);
  assert.equal(r.json.devices[0].changed, true);
  assert.equal(r.json.devices[0].before.led.on, false);
  assert.equal(r.json.devices[0].after.led.on, true);
  const after = await h.get(`/v1/devices/${id}/config`);
  assert.deepEqual(after.json, before.json);
  const bad = await h.patch(`/v1/devices/${id}/config?dry_run=true`, { led: { on: 3 } });
  assert.equal(bad.status, 422, 'a dry run validates too');
});

test('a write that changes no effective config takes no revision', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  const before = await h.get(`/v1/devices/${id}/config`);
  const r = await h.put(`/v1/devices/${id}/config/led/brightness`, 20);  // equal to the default
  assert.equal(r.status, 200);
  assert.equal(r.json.revision, before.json.revision);
  const hist = await h.get(`/v1/devices/${id}/history`);
  assert.equal(hist.json.items[0].revision, before.json.revision);
});

test('an effective config over 256 KiB is 413', async () => {
  const { h } = box;
  const id = uniqueId('big');
  await h.post('/v1/devices', { id });
  const r = await h.put(`/v1/devices/${id}/config`, { blob: 'x'.repeat(300 * 1024) });
  assert.equal(r.status, 413);
  assert.equal(r.json.status, 413);
});

test('history lists every revision newest first, pages, and rollback restores an old config', async () => {
  const { h } = box;
  const { id } = await ledDevice(h);
  const revs = [];
  for (const b of [30, 40, 50]) {
    const r = await h.put(`/v1/devices/${id}/config/led/brightness`, b);
    revs.push(r.json.revision);
  }
  let r = await h.get(`/v1/devices/${id}/history?limit=2`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.items.map((e) => e.revision), [revs[2], revs[1]]);
  const first = r.json.items[0];
  assert.equal(first.actor, 'bootstrap');
  assert.equal(first.action, 'config.set');
  assert.deepEqual(first.change, { led: { brightness: 50 } });
  assert.equal(first.config.led.brightness, 50);
  r = await h.get(`/v1/devices/${id}/history?limit=2&cursor=${r.json.next_cursor}`);
  assert.equal(r.json.items[0].revision, revs[0]);
  assert.equal(r.json.items.length, 2, 'then the creation revision');
  assert.equal(r.json.next_cursor, null);

  r = await h.post(`/v1/devices/${id}/rollback`, { revision: revs[0] });
  assert.equal(r.status, 200);
  assert.equal(r.json.config.led.brightness, 30);
  assert.ok(r.json.revision > revs[2]);
  r = await h.get(`/v1/devices/${id}/history?limit=1`);
  assert.equal(r.json.items[0].action, 'config.rollback');

  assert.equal((await h.post(`/v1/devices/${id}/rollback`, { revision: 999999 })).status, 404);
  assert.equal((await h.post(`/v1/devices/${id}/rollback`, { revision: 'x' })).status, 400);
  assert.equal((await h.post(`/v1/devices/${id}/rollback`, {})).status, 400);
  assert.equal((await h.get('/v1/devices/nobody-here/history')).status, 404);
});

test('config routes are 404 for unknown devices', async () => {
  const { h } = box;
  assert.equal((await h.get('/v1/devices/nobody-here/config')).status, 404);
  assert.equal((await h.put('/v1/devices/nobody-here/config', {})).status, 404);
  assert.equal((await h.patch('/v1/devices/nobody-here/config', {})).status, 404);
  assert.equal((await h.put('/v1/devices/nobody-here/config/a', 1)).status, 404);
  assert.equal((await h.del('/v1/devices/nobody-here/config/a')).status, 404);
});
