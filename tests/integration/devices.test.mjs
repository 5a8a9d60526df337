import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged();

test('POST /v1/devices registers a device and shows its token once', async () => {
  const { h } = box;
  const id = uniqueId('reg');
  const r = await h.post('/v1/devices', { id, labels: { site: 'lab' }, groups: ['b', 'a', 'b'] });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('location'), `/v1/devices/${id}`);
  assert.match(r.json.token, /^hdt_[A-Za-z0-9_-]{43}$/);
  assert.equal(r.json.id, id);
  assert.deepEqual(r.json.groups, ['a', 'b']);
  assert.deepEqual(r.json.labels, { site: 'lab' });
  assert.equal(r.json.status, 'never_connected');
  assert.equal(r.json.connected, false);
  assert.ok(r.json.desired_revision > 0);
  const got = await h.get(`/v1/devices/${id}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.token, undefined, 'the token is never shown again');
  assert.equal(got.json.desired_revision, r.json.desired_revision);
});

test('POST /v1/devices with a duplicate id is 409', async () => {
  const { h } = box;
  const id = uniqueId('dup');
  assert.equal((await h.post('/v1/devices', { id })).status, 201);
  const r = await h.post('/v1/devices', { id });
  assert.equal(r.status, 409);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
});

test('POST /v1/devices rejects bad ids and fields with 400', async () => {
  const { h } = box;
  for (const body of [
    {},
    { id: 'Upper' },
    { id: '-lead' },
    { id: 'a'.repeat(64) },
    { id: 'a b' },
    { id: 5 },
    { id: uniqueId(), color: 'red' },
    { id: uniqueId(), labels: { k: 5 } },
    { id: uniqueId(), labels: { 'Bad Key': 'v' } },
    { id: uniqueId(), groups: 'lab' },
    { id: uniqueId(), groups: ['Not Valid'] },
    { id: uniqueId(), schema: 7 },
    { id: uniqueId(), config: [] },
  ]) {
    const r = await h.post('/v1/devices', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.status, 400);
    assert.ok(r.json.detail.length > 0);
  }
});

test('GET /v1/devices/{id} is 404 for an unknown device and 400 for a bad id', async () => {
  const { h } = box;
  assert.equal((await h.get('/v1/devices/nobody-here')).status, 404);
  assert.equal((await h.get('/v1/devices/NOPE')).status, 400);
});

test('GET /v1/devices filters by schema, group and label, and paginates', async () => {
  const { h } = box;
  const tag = uniqueId('list');
  for (let i = 0; i < 5; i++) {
    const r = await h.post('/v1/devices', {
      id: `${tag}-${i}`,
      schema: i === 4 ? `${tag}-other` : `${tag}-s`,
      groups: [i % 2 === 0 ? `${tag}-even` : `${tag}-odd`],
      labels: { batch: tag, n: String(i) },
    });
    assert.equal(r.status, 201);
  }
  const ids = (r) => r.json.items.map((d) => d.id);
  let r = await h.get(`/v1/devices?group=${tag}-even`);
  assert.deepEqual(ids(r), [`${tag}-0`, `${tag}-2`, `${tag}-4`]);
  r = await h.get(`/v1/devices?schema=${tag}-other`);
  assert.deepEqual(ids(r), [`${tag}-4`]);
  r = await h.get(`/v1/devices?label=n%3D3`);
  assert.ok(ids(r).includes(`${tag}-3`));
  r = await h.get(`/v1/devices?label=batch=${tag}`);
  assert.equal(r.json.items.length, 5);

  const seen = [];
  let cursor = '';
  let pages = 0;
  do {
    r = await h.get(`/v1/devices?label=batch=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.json.items.length <= 2);
    seen.push(...ids(r));
    cursor = r.json.next_cursor;
    pages += 1;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => `${tag}-${i}`));
});

test('GET /v1/devices rejects a bad limit, cursor or parameter with 400', async () => {
  const { h } = box;
  for (const q of ['limit=0', 'limit=abc', 'limit=100000', 'cursor=!!', 'cursor=Zm9v', 'colour=red', 'label=']) {
    const r = await h.get(`/v1/devices?${q}`);
    assert.equal(r.status, 400, q);
  }
});

test('PATCH /v1/devices/{id} changes labels, groups and schema', async () => {
  const { h } = box;
  const id = uniqueId('patch');
  await h.post('/v1/devices', { id, labels: { a: '1', b: '2' }, groups: ['g1'] });
  const r = await h.patch(`/v1/devices/${id}`, { labels: { a: null, c: '3' }, groups: ['g2', 'g3'], schema: 'pi' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.labels, { b: '2', c: '3' });
  assert.deepEqual(r.json.groups, ['g2', 'g3']);
  assert.equal(r.json.schema, 'pi');
  const cleared = await h.patch(`/v1/devices/${id}`, { schema: null });
  assert.equal(cleared.json.schema, null);
});

test('PATCH /v1/devices/{id} fails cleanly on bad input and unknown devices', async () => {
  const { h } = box;
  const id = uniqueId('patchbad');
  await h.post('/v1/devices', { id });
  assert.equal((await h.patch(`/v1/devices/${id}`, { groups: [1] })).status, 400);
  assert.equal((await h.patch(`/v1/devices/${id}`, { token_hash: 'x' })).status, 400);
  assert.equal((await h.patch(`/v1/devices/${id}`, [])).status, 400);
  assert.equal((await h.patch('/v1/devices/nobody-here', { labels: {} })).status, 404);
});

test('PATCH /v1/devices/{id} moving a device to a schema it breaks is 422 and changes nothing', async () => {
  const { h } = box;
  const schema = uniqueId('strict');
  assert.equal((await h.put(`/v1/schemas/${schema}`, { type: 'object', required: ['must'] })).status, 201);
  const id = uniqueId('mover');
  await h.post('/v1/devices', { id });
  const r = await h.patch(`/v1/devices/${id}`, { schema });
  assert.equal(r.status, 422);
  assert.equal(r.json.errors[0].device, id);
  assert.equal((await h.get(`/v1/devices/${id}`)).json.schema, null);
});

test('DELETE /v1/devices/{id} removes the device', async () => {
  const { h } = box;
  const id = uniqueId('del');
  await h.post('/v1/devices', { id });
  assert.equal((await h.del(`/v1/devices/${id}`)).status, 204);
  assert.equal((await h.get(`/v1/devices/${id}`)).status, 404);
  assert.equal((await h.get(`/v1/devices/${id}/config`)).status, 404);
  assert.equal((await h.del(`/v1/devices/${id}`)).status, 404);
  // The id is free again.
  assert.equal((await h.post('/v1/devices', { id })).status, 201);
});

test('POST /v1/devices/{id}/token rotates the token', async () => {
  const { h } = box;
  const id = uniqueId('rot');
  const created = await h.post('/v1/devices', { id });
  const r = await h.post(`/v1/devices/${id}/token`);
  assert.equal(r.status, 200);
  assert.match(r.json.token, /^hdt_/);
  assert.notEqual(r.json.token, created.json.token);
  // The new token is a device's (403 on the admin API); the old one is no one's (401).
  assert.equal((await h.get('/v1/devices', { token: r.json.token })).status, 403);
  assert.equal((await h.get('/v1/devices', { token: created.json.token })).status, 401);
  assert.equal((await h.post('/v1/devices/nobody-here/token')).status, 404);
});

test('POST /v1/devices:batch registers many devices atomically, each token once', async () => {
  const { h } = box;
  const group = uniqueId('bulk');
  assert.equal((await h.put(`/v1/groups/${group}`, { priority: 1, config: { interval: 7 } })).status, 201);
  const ids = Array.from({ length: 2500 }, (_, i) => uniqueId(`b${i}`));
  const r = await h.post('/v1/devices:batch', {
    devices: ids.map((id, i) => ({ id, groups: [group], labels: { n: String(i) } })),
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.deepEqual(r.json.devices.map((d) => d.id), ids);
  assert.equal(new Set(r.json.devices.map((d) => d.token)).size, ids.length);
  assert.ok(r.json.revision > 0);
  // Each token is its device's: the device reads its own config with it.
  for (const i of [0, 1249, 2499]) {
    const c = await h.get('/v1/device/config', { token: r.json.devices[i].token });
    assert.equal(c.status, 200);
    assert.equal(c.json.config.interval, 7);
    assert.equal(c.json.revision, r.json.revision);
  }
  assert.equal((await h.get(`/v1/devices/${ids[42]}`)).json.labels.n, '42');
  const audit = await h.get(`/v1/audit?target=device/${ids[7]}`);
  assert.equal(audit.json.items[0].action, 'device.create');
});

test('POST /v1/devices:batch registers nothing when any device is bad, taken or listed twice', async () => {
  const { h } = box;
  const taken = uniqueId('taken');
  assert.equal((await h.post('/v1/devices', { id: taken })).status, 201);
  const fresh = uniqueId('fresh');
  const cases = [
    [[{ id: fresh }, { id: taken }], 409, `/devices/1/id`],
    [[{ id: fresh }, { id: 'Bad Id' }], 400, '/devices/1'],
    [[{ id: fresh }, { id: fresh }], 400, '/devices/1/id'],
    [[{ id: fresh }, { id: uniqueId('x'), colour: 'red' }], 400, '/devices/1'],
    [[{ id: fresh }, 'pi'], 400, '/devices/1'],
  ];
  for (const [devices, status, path] of cases) {
    const r = await h.post('/v1/devices:batch', { devices });
    assert.equal(r.status, status, JSON.stringify(devices));
    assert.equal(r.json.errors[0].path, path, JSON.stringify(r.json));
  }
  assert.equal((await h.get(`/v1/devices/${fresh}`)).status, 404, 'nothing was registered');
  for (const body of [{}, { devices: [] }, { devices: {} }, { devices: [{ id: fresh }], extra: 1 }]) {
    assert.equal((await h.post('/v1/devices:batch', body)).status, 400, JSON.stringify(body));
  }
  const tooMany = Array.from({ length: 10001 }, (_, i) => ({ id: `m${i}` }));
  const r = await h.post('/v1/devices:batch', { devices: tooMany });
  assert.equal(r.status, 400);
  assert.match(r.json.detail, /at most 10,000/);
});

test('POST /v1/devices:batch of 10,000 devices fits the default body limit and validates each', async () => {
  const { h } = box;
  const schema = uniqueId('bulk-schema');
  await h.put(`/v1/schemas/${schema}`, { type: 'object', properties: { n: { type: 'integer' } } });
  const prefix = uniqueId('k');
  const devices = Array.from({ length: 10000 }, (_, i) => ({ id: `${prefix}-${i}`, schema }));
  devices[9999].config = { n: 'not a number' };
  let r = await h.post('/v1/devices:batch', { devices });
  assert.equal(r.status, 422);
  assert.deepEqual(r.json.errors.map((e) => [e.device, e.path]), [[`${prefix}-9999`, '/n']]);
  devices[9999].config = { n: 3 };
  r = await h.post('/v1/devices:batch', { devices });
  assert.equal(r.status, 201);
  assert.equal(r.json.devices.length, 10000);
});

test('a device naming a schema that does not exist is registered with a warning, not silently', async () => {
  const { h } = box;
  const missing = uniqueId('noschema');
  const id = uniqueId('warn');
  const r = await h.post('/v1/devices', { id, schema: missing });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.warnings,
    [`schema ${missing} does not exist (yet): device ${id} get no defaults and no validation until it is created`]);
  const batch = await h.post('/v1/devices:batch', { devices: [{ id: uniqueId('warn') }, { id: uniqueId('warn'), schema: missing },
    { id: uniqueId('warn'), schema: missing }] });
  assert.equal(batch.status, 201, batch.text);
  assert.equal(batch.json.warnings.length, 1);
  assert.match(batch.json.warnings[0], new RegExp(`^schema ${missing} does not exist \\(yet\\): 2 devices`));
  const moved = await h.patch(`/v1/devices/${id}`, { schema: uniqueId('other') });
  assert.equal(moved.status, 200);
  assert.equal(moved.json.warnings.length, 1);
  // Once the schema exists, nothing is said.
  assert.equal((await h.put(`/v1/schemas/${missing}`, { type: 'object' })).status, 201);
  const fine = await h.post('/v1/devices', { id: uniqueId('warn'), schema: missing });
  assert.equal(fine.json.warnings, undefined);
});
