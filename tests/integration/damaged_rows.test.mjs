// A row that cannot be read must not take others down. Rows damaged outside henged are
// listed with what is missing named, the reads that need the damaged part fail for that
// device alone (500, cause in the log under the request id), and the operator can
// repair or delete it. Rows an older henged left unreadable are quarantined when the
// database is migrated, and every read answers again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Henged, waitFor } from './harness.mjs';

// A line henged logs, as soon as its stderr has it.
const logged = (h, pattern) => waitFor(() => pattern.test(h.stderr), 5000, `a log line like ${pattern}`);

const sql = (h, statement) => execFileSync('sqlite3', [join(h.dataDir, 'henge.db'), statement], { encoding: 'utf8' });

async function fleetOfTwo(t) {
  const h = await new Henged().start();
  t.after(async () => {
    await h.stop();
    h.cleanup();
  });
  for (const id of ['good', 'bad']) {
    assert.equal((await h.post('/v1/devices', { id, groups: ['all'], config: { led: 1 } })).status, 201);
  }
  assert.equal((await h.stop()).code, 0);
  return h;
}

test('a damaged row is listed with what cannot be read; its config fails alone; PUT repairs it', async (t) => {
  const h = await fleetOfTwo(t);
  sql(h, `UPDATE devices SET device_values = '{"x":Infinity}', reported = 'nope' WHERE id = 'bad'`);
  await h.start();
  const list = await h.get('/v1/devices');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((d) => d.id), ['bad', 'good']);
  const [bad, good] = list.json.items;
  assert.equal(good.unreadable, undefined);
  assert.equal(bad.unreadable.length, 2);
  assert.match(bad.unreadable[0], /^device_values: stored JSON does not parse/);
  assert.match(bad.unreadable[1], /^reported: /);
  await logged(h, /error stored device row cannot be read in full device=bad cause="device_values: /);

  const config = await h.get('/v1/devices/bad/config');
  assert.equal(config.status, 500);
  assert.equal(config.json.detail, 'internal error', 'the cause stays in the log');
  const id = config.headers.get('x-request-id');
  await logged(h, new RegExp(`error request failed .*route=/v1/devices/\\{id\\}/config status=500 ms=\\S+ ` +
    `cause="the stored config of device bad cannot be read: device_values: .* request_id=${id}`));
  assert.equal((await h.get('/v1/devices/good/config')).status, 200, 'the other device is served');
  // A merge onto values that cannot be read would lose them: refused until replaced.
  const patch = await h.patch('/v1/devices/bad/config', { y: 1 }, { contentType: 'application/merge-patch+json' });
  assert.equal(patch.status, 409, patch.text);
  assert.match(patch.json.detail, /replace them whole with PUT \/v1\/devices\/bad\/config/);
  // A group write passes the damaged device by and reaches the rest.
  const group = await h.put('/v1/groups/all', { config: { g: 1 } });
  assert.equal(group.status, 201, group.text);
  assert.equal((await h.get('/v1/devices/good/config')).json.config.g, 1);
  await logged(h, /error device left out of a write: its stored values cannot be read device=bad/);
  // Replacing the values whole repairs the row; what else is damaged is still named.
  const put = await h.put('/v1/devices/bad/config', { led: 2 });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json.config, { led: 2, g: 1 });
  const repaired = await h.get('/v1/devices/bad');
  assert.deepEqual(repaired.json.unreadable.map((u) => u.split(':')[0]), ['reported']);
});

test('a damaged row can be deleted', async (t) => {
  const h = await fleetOfTwo(t);
  sql(h, `UPDATE devices SET desired_config = '${'['.repeat(100)}${']'.repeat(100)}' WHERE id = 'bad'`);
  await h.start();
  assert.equal((await h.get('/v1/devices/bad/config')).status, 500);
  assert.equal((await h.del('/v1/devices/bad')).status, 204);
  assert.deepEqual((await h.get('/v1/devices')).json.items.map((d) => d.id), ['good']);
});

test('rows an older henged left unreadable are quarantined at migration, and every read answers', async (t) => {
  const h = await fleetOfTwo(t);
  // As a database of schema version 2 that took `1e400` (stored as Infinity) would be.
  sql(h, 'DROP TABLE quarantine; PRAGMA user_version = 2;');
  sql(h, `UPDATE devices SET reported = '{"x":Infinity}' WHERE id = 'bad'`);
  sql(h, `UPDATE audit SET change = '{"x":-Infinity}' WHERE target = 'device/bad'`);
  await h.start();
  await logged(h, /error unreadable stored JSON quarantined table=devices row=bad column=reported/);
  await logged(h, /error unreadable stored JSON quarantined table=audit row=\d+ column=change/);
  for (const path of ['/v1/devices', '/v1/devices/bad', '/v1/devices/bad/config', '/v1/devices/bad/history', '/v1/audit']) {
    const r = await h.get(path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
  }
  assert.equal((await h.get('/v1/devices/bad')).json.reported, null);
  const kept = sql(h, "SELECT table_name || ' ' || row_name || ' ' || column_name || ' ' || text FROM quarantine ORDER BY seq");
  assert.match(kept, /^devices bad reported \{"x":Infinity\}\naudit \d+ change \{"x":-Infinity\}\n$/);
});
