import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LED_SCHEMA } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged();

test('PUT /v1/groups/{name} creates then updates; GET reads it; GET /v1/groups lists', async () => {
  const { h } = box;
  const name = uniqueId('g');
  let r = await h.put(`/v1/groups/${name}`, { priority: 5 });
  assert.equal(r.status, 201);
  assert.equal(r.json.priority, 5);
  assert.deepEqual(r.json.config, {});
  r = await h.put(`/v1/groups/${name}`, { priority: 7, config: { a: 1 } });
  assert.equal(r.status, 200);
  r = await h.get(`/v1/groups/${name}`);
  assert.equal(r.json.priority, 7);
  assert.deepEqual(r.json.config, { a: 1 });
  assert.equal(r.headers.get('etag'), `"${r.json.revision}"`);
  r = await h.get('/v1/groups');
  assert.ok(r.json.items.some((g) => g.name === name));
});

test('group errors: unknown 404, bad name 400, bad body 400', async () => {
  const { h } = box;
  assert.equal((await h.get('/v1/groups/no-such-group')).status, 404);
  assert.equal((await h.get('/v1/groups/NO')).status, 400);
  assert.equal((await h.put(`/v1/groups/${uniqueId('g')}`, { priority: 'high' })).status, 400);
  assert.equal((await h.put(`/v1/groups/${uniqueId('g')}`, { priority: 1.5 })).status, 400);
  assert.equal((await h.put(`/v1/groups/${uniqueId('g')}`, { config: 3 })).status, 400);
  assert.equal((await h.put(`/v1/groups/${uniqueId('g')}`, { members: [] })).status, 400);
  assert.equal((await h.del('/v1/groups/no-such-group')).status, 404);
  assert.equal((await h.get('/v1/groups/no-such-group/config')).status, 404);
  assert.equal((await h.put('/v1/groups/no-such-group/config', {})).status, 404);
  assert.equal((await h.patch('/v1/groups/no-such-group/config', {})).status, 404);
});

test('group config reaches members; priority decides between groups', async () => {
  const { h } = box;
  const low = uniqueId('low');
  const high = uniqueId('high');
  await h.put(`/v1/groups/${low}`, { priority: 1, config: { mode: 'low', only_low: true } });
  await h.put(`/v1/groups/${high}`, { priority: 2, config: { mode: 'high' } });
  const id = uniqueId('member');
  await h.post('/v1/devices', { id, groups: [low, high] });
  let r = await h.get(`/v1/devices/${id}/config`);
  assert.deepEqual(r.json.config, { mode: 'high', only_low: true });
  assert.equal(r.json.sources['/mode'], `group:${high}`);
  await h.put(`/v1/groups/${low}`, { priority: 3 });
  r = await h.get(`/v1/devices/${id}/config`);
  assert.equal(r.json.config.mode, 'low');
  assert.equal(r.json.sources['/mode'], `group:${low}`);
});

test('GET/PUT/PATCH /v1/groups/{name}/config with If-Match and dry_run', async () => {
  const { h } = box;
  const name = uniqueId('gc');
  await h.put(`/v1/groups/${name}`, { priority: 0 });
  const id = uniqueId('gcm');
  await h.post('/v1/devices', { id, groups: [name] });
  let r = await h.put(`/v1/groups/${name}/config`, { a: 1, b: { c: 2 } });
  assert.equal(r.status, 200);
  const etag = r.headers.get('etag');
  r = await h.patch(`/v1/groups/${name}/config`, { b: { c: null, d: 3 } }, {
    contentType: 'application/merge-patch+json',
    headers: { 'if-match': etag },
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.config, { a: 1, b: { d: 3 } });
  r = await h.put(`/v1/groups/${name}/config`, {}, { headers: { 'if-match': etag } });
  assert.equal(r.status, 412);
  r = await h.get(`/v1/groups/${name}/config`);
  assert.deepEqual(r.json.config, { a: 1, b: { d: 3 } });
  assert.deepEqual((await h.get(`/v1/devices/${id}/config`)).json.config, { a: 1, b: { d: 3 } });

  r = await h.patch(`/v1/groups/${name}/config?dry_run=true`, { a: 9 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.devices.map((d) => [d.device, d.before.a, d.after.a]), [[id, 1, 9]]);
  assert.equal((await h.get(`/v1/groups/${name}/config`)).json.config.a, 1);
});

test('a group write that breaks a member is 422 naming it; nothing changes', async () => {
  const { h } = box;
  const schema = uniqueId('gs');
  await h.put(`/v1/schemas/${schema}`, LED_SCHEMA);
  const name = uniqueId('gv');
  await h.put(`/v1/groups/${name}`, { priority: 0, config: { led: { brightness: 10 } } });
  const id = uniqueId('gvm');
  await h.post('/v1/devices', { id, schema, groups: [name] });
  const r = await h.put(`/v1/groups/${name}/config`, { led: { brightness: 101 } });
  assert.equal(r.status, 422);
  assert.deepEqual(r.json.errors.map((e) => [e.device, e.path]), [[id, '/led/brightness']]);
  assert.equal((await h.get(`/v1/groups/${name}/config`)).json.config.led.brightness, 10);
});

test('DELETE /v1/groups/{name} removes its layer from its members', async () => {
  const { h } = box;
  const name = uniqueId('gone');
  await h.put(`/v1/groups/${name}`, { config: { x: 1 } });
  const id = uniqueId('left');
  await h.post('/v1/devices', { id, groups: [name] });
  assert.equal((await h.get(`/v1/devices/${id}/config`)).json.config.x, 1);
  assert.equal((await h.del(`/v1/groups/${name}`)).status, 204);
  assert.equal((await h.get(`/v1/groups/${name}`)).status, 404);
  assert.deepEqual((await h.get(`/v1/devices/${id}/config`)).json.config, {});
});
