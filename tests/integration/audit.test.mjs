import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged();

test('every mutation is in the audit log with actor, target, request id and address', async () => {
  const { h } = box;
  const id = uniqueId('aud');
  const group = uniqueId('audg');
  const schema = uniqueId('auds');
  const rid = (n) => ({ headers: { 'x-request-id': `${id}-${n}` } });
  assert.equal((await h.put(`/v1/schemas/${schema}`, { type: 'object' }, rid(1))).status, 201);
  assert.equal((await h.put(`/v1/groups/${group}`, { priority: 1 }, rid(2))).status, 201);
  assert.equal((await h.put(`/v1/groups/${group}/config`, { a: 1 }, rid(3))).status, 200);
  assert.equal((await h.patch(`/v1/groups/${group}/config`, { b: 1 }, rid(4))).status, 200);
  assert.equal((await h.post('/v1/devices', { id, schema, groups: [group] }, rid(5))).status, 201);
  assert.equal((await h.patch(`/v1/devices/${id}`, { labels: { x: 'y' } }, rid(6))).status, 200);
  assert.equal((await h.put(`/v1/devices/${id}/config`, { c: 1 }, rid(7))).status, 200);
  assert.equal((await h.patch(`/v1/devices/${id}/config`, { d: 1 }, rid(8))).status, 200);
  assert.equal((await h.put(`/v1/devices/${id}/config/e`, 1, rid(9))).status, 200);
  const hist = await h.get(`/v1/devices/${id}/history`);
  assert.equal((await h.del(`/v1/devices/${id}/config/e`, rid(10))).status, 200);
  const rb = await h.post(`/v1/devices/${id}/rollback`, { revision: hist.json.items[0].revision }, rid(11));
  assert.equal(rb.status, 200);
  assert.equal((await h.post(`/v1/devices/${id}/token`, undefined, rid(12))).status, 200);
  assert.equal((await h.del(`/v1/devices/${id}`, rid(13))).status, 204);
  assert.equal((await h.del(`/v1/groups/${group}`, rid(14))).status, 204);

  const expected = [
    ['schema.put', `schema/${schema}`],
    ['group.put', `group/${group}`],
    ['group.config.set', `group/${group}`],
    ['group.config.set', `group/${group}`],
    ['device.create', `device/${id}`],
    ['device.update', `device/${id}`],
    ['config.set', `device/${id}`],
    ['config.set', `device/${id}`],
    ['config.set', `device/${id}`],
    ['config.set', `device/${id}`],
    ['config.rollback', `device/${id}`],
    ['device.token.rotate', `device/${id}`],
    ['device.delete', `device/${id}`],
    ['group.delete', `group/${group}`],
  ];
  const r = await h.get('/v1/audit?limit=1000');
  assert.equal(r.status, 200);
  const mine = r.json.items.filter((e) => e.request_id.startsWith(`${id}-`)).reverse();
  assert.deepEqual(mine.map((e) => [e.action, e.target]), expected);
  mine.forEach((e, i) => {
    assert.equal(e.request_id, `${id}-${i + 1}`);
    assert.equal(e.actor, 'bootstrap');
    assert.match(e.remote, /^127\.0\.0\.1:\d+$/);
    assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
  assert.ok(mine.find((e) => e.action === 'config.set').revision > 0);
  // The same kind of change has one name and one record, whichever route made it: PUT,
  // merge patch, pointer write and pointer delete, each as the merge patch it applied.
  assert.deepEqual(mine.filter((e) => e.action === 'config.set').map((e) => e.change),
    [{ c: 1 }, { d: 1 }, { e: 1 }, { e: null }]);
  assert.deepEqual(mine.filter((e) => e.action === 'group.config.set').map((e) => e.change), [{ a: 1 }, { b: 1 }]);
});

test('GET /v1/audit filters by actor, action and target and paginates', async () => {
  const { h } = box;
  const id = uniqueId('audf');
  await h.post('/v1/devices', { id });
  for (let i = 0; i < 3; i++) await h.put(`/v1/devices/${id}/config/n`, i);
  let r = await h.get(`/v1/audit?target=device/${id}`);
  assert.deepEqual(r.json.items.map((e) => e.action), ['config.set', 'config.set', 'config.set', 'device.create']);
  r = await h.get(`/v1/audit?target=device/${id}&action=device.create`);
  assert.equal(r.json.items.length, 1);
  r = await h.get('/v1/audit?actor=nobody-at-all');
  assert.equal(r.json.items.length, 0);
  const seqs = [];
  let cursor = '';
  do {
    r = await h.get(`/v1/audit?target=device/${id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    seqs.push(...r.json.items.map((e) => e.seq));
    cursor = r.json.next_cursor;
  } while (cursor);
  assert.equal(seqs.length, 4);
  assert.deepEqual([...seqs].sort((a, b) => b - a), seqs, 'newest first');
  assert.equal((await h.get('/v1/audit?cursor=bogus')).status, 400);
  assert.equal((await h.get('/v1/audit?who=me')).status, 400);
});
