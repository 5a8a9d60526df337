// Whatever henged accepts it can read back (docs/protocol.md, "JSON"): every way in for
// a number that overflows to infinity, an integer past 64 bits or nesting past the
// limit is refused with a 400 naming the place, and afterwards every read — the device,
// its config and history, the fleet list, audit, schemas, the device's own poll — still
// answers, also after a restart. Boolean flags and the queries of writes are strict.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Henged } from './harness.mjs';
import { uniqueId } from './shared_server.mjs';

let h;
before(async () => {
  h = await new Henged().start();
});
after(async () => {
  const { code, signal } = await h.stop();
  h.cleanup();
  assert.equal(code, 0, `henged exited with ${code ?? signal}:\n${h.stderr.slice(-4000)}`);
});

const nested = (depth, leaf = 1) => '{"a":'.repeat(depth) + JSON.stringify(leaf) + '}'.repeat(depth);

function assertRefused(r, { status = 400, path, match } = {}) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  if (match) assert.match(r.json.detail, match);
  if (path !== undefined) assert.ok(r.json.errors?.some((e) => e.path === path), `an error at ${path}: ${r.text}`);
}

// Every read an operator or a device makes, each answered 2xx.
async function assertEveryReadAnswers(id, deviceToken) {
  for (const path of ['/v1/devices', `/v1/devices/${id}`, `/v1/devices/${id}/config`, `/v1/devices/${id}/history`,
    '/v1/audit', '/v1/schemas', '/v1/groups']) {
    const r = await h.get(path);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
  }
  const poll = await h.get('/v1/device/config', { token: deviceToken });
  assert.equal(poll.status, 200, poll.text);
}

async function device(body = {}) {
  const id = uniqueId('pol');
  const r = await h.post('/v1/devices', { id, ...body });
  assert.equal(r.status, 201, r.text);
  return { id, token: r.json.token };
}

test('a device token cannot poison the fleet list with a report of 1e400 or 33 levels', async () => {
  const { id, token } = await device();
  assertRefused(await h.post('/v1/device/report', '{"reported":{"x":1e400}}', { token }),
    { path: '/reported/x', match: /out of range for a 64-bit float/ });
  assertRefused(await h.post('/v1/device/report', '{"reported":{"x":-1E99999}}', { token }), { path: '/reported/x' });
  assertRefused(await h.post('/v1/device/report', `{"reported":${nested(32)}}`, { token }),
    { match: /nested deeper than 32/ });
  const ok = await h.post('/v1/device/report', `{"reported":${nested(30)}}`, { token });
  assert.equal(ok.status, 204, ok.text);
  await assertEveryReadAnswers(id, token);
});

test('config values, merge patches and pointer writes are held to the policy', async () => {
  const { id, token } = await device();
  assertRefused(await h.put(`/v1/devices/${id}/config`, '{"x":1e400}'), { path: '/x' });
  assertRefused(await h.patch(`/v1/devices/${id}/config`, '{"x":{"y":-1e400}}', {
    contentType: 'application/merge-patch+json',
  }), { path: '/x/y' });
  assertRefused(await h.put(`/v1/devices/${id}/config`, nested(33)), { match: /nested deeper than 32/ });
  // A pointer builds the depth no body had: 30 segments and a value 5 deep.
  const deep = await h.put(`/v1/devices/${id}/config/${Array(30).fill('p').join('/')}`, nested(5));
  assertRefused(deep, { match: /config of device .* nested deeper than 32/ });
  assert.equal(deep.json.errors[0].device, id);
  assert.match(deep.json.errors[0].path, /^(\/p){30}\/a/);
  // Within the limit, the same writes are taken.
  const fine = await h.put(`/v1/devices/${id}/config/${Array(20).fill('p').join('/')}`, nested(5));
  assert.equal(fine.status, 200, fine.text);
  await assertEveryReadAnswers(id, token);
});

test('integers past 64 bits are refused, never rounded; those within are kept exactly', async () => {
  const { id, token } = await device();
  assertRefused(await h.put(`/v1/devices/${id}/config`, '{"n":18446744073709551616}'),
    { path: '/n', match: /outside the 64-bit range/ });
  assertRefused(await h.put(`/v1/devices/${id}/config`, '{"n":-9223372036854775809}'), { path: '/n' });
  const r = await h.put(`/v1/devices/${id}/config`, '{"u":18446744073709551615,"i":-9223372036854775808,"f":1e300}');
  assert.equal(r.status, 200, r.text);
  const poll = await h.get('/v1/device/config', { token });
  assert.match(poll.text, /"u":18446744073709551615/);
  assert.match(poll.text, /"i":-9223372036854775808/);
});

test('a schema whose default overflows, or that nests past the limit, is refused', async () => {
  const name = uniqueId('polschema');
  assertRefused(await h.put(`/v1/schemas/${name}`,
    '{"type":"object","properties":{"x":{"type":"number","default":1e400}}}'), { path: '/properties/x/default' });
  assertRefused(await h.put(`/v1/schemas/${name}`, nested(33, {})), { match: /nested deeper than 32/ });
  const { id, token } = await device();
  await assertEveryReadAnswers(id, token);
});

test('group writes of the same answer 400, not 500', async () => {
  const group = uniqueId('polgroup');
  const { id, token } = await device({ groups: [group] });
  assertRefused(await h.put(`/v1/groups/${group}`, '{"config":{"x":1e400}}'), { path: '/config/x' });
  assertRefused(await h.put(`/v1/groups/${group}/config`, '{"x":1e999}'), { path: '/x' });
  assertRefused(await h.patch(`/v1/groups/${group}/config`, `{"x":${nested(32)}}`, {
    contentType: 'application/merge-patch+json',
  }), { match: /nested deeper than 32/ });
  await assertEveryReadAnswers(id, token);
});

test('after every refused write, a restart still reads every row', async () => {
  const { id, token } = await device();
  await h.stop();
  await h.start();
  await assertEveryReadAnswers(id, token);
});

test('dry_run takes true or false (1 or 0) and nothing else: no flag that is not understood performs a write',
  async () => {
    const { id } = await device();
    for (const value of ['TRUE', 'yes', 'on', '', 'truee', '2']) {
      const r = await h.put(`/v1/devices/${id}/config?dry_run=${value}`, { x: 1 });
      assertRefused(r, { match: /dry_run must be true or false/ });
    }
    for (const value of ['true', '1']) {
      const r = await h.put(`/v1/devices/${id}/config?dry_run=${value}`, { x: 2 });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.dry_run, true);
    }
    assert.deepEqual((await h.get(`/v1/devices/${id}/config`)).json.values, {}, 'no dry run wrote anything');
    const real = await h.put(`/v1/devices/${id}/config?dry_run=false`, { x: 3 });
    assert.equal(real.status, 200, real.text);
    assert.deepEqual(real.json.values, { x: 3 });
  });

test('an unknown query parameter on a write is a 400, and nothing is written', async () => {
  const { id } = await device();
  assertRefused(await h.put(`/v1/devices/${id}/config?dryrun=true`, { x: 1 }), { match: /unknown query parameter 'dryrun'/ });
  assertRefused(await h.post(`/v1/devices?dry_run=true`, { id: uniqueId('never') }), { match: /takes none/ });
  assertRefused(await h.del(`/v1/devices/${id}?force=1`), { match: /unknown query parameter 'force'/ });
  assert.equal((await h.get(`/v1/devices/${id}`)).status, 200, 'the device is still there');
  assert.deepEqual((await h.get(`/v1/devices/${id}/config`)).json.values, {});
});

test('a list flag is strict too', async () => {
  assertRefused(await h.get('/v1/devices?connected=yes'), { match: /connected must be true or false/ });
  assert.equal((await h.get('/v1/devices?connected=0')).status, 200);
});

test('a pointer segment that is not UTF-8 is a 400, and a long ack error is cut between characters', async () => {
  const { id, token } = await device();
  assertRefused(await h.put(`/v1/devices/${id}/config/a/%D0%8F%FF`, 1), { match: /must be UTF-8/ });
  const rev = (await h.get('/v1/device/config', { token })).json.revision;
  // 4,096 bytes is where an ack's error is cut: here, in the middle of a '€'.
  const error = 'x' + '€'.repeat(2000);
  const ack = await h.post('/v1/device/ack', { revision: rev, status: 'rejected', error }, { token });
  assert.equal(ack.status, 204, ack.text);
  const d = await h.get(`/v1/devices/${id}`);
  assert.equal(d.status, 200);
  assert.equal(d.json.error, 'x' + '€'.repeat(1365), 'cut at the last whole character within the limit');
  await assertEveryReadAnswers(id, token);
});

test('a path that is not UTF-8 is quoted back as valid JSON', async () => {
  const r = await h.get('/v1/no-such-%FF');
  assert.equal(r.status, 404);
  assert.ok(r.json, `the problem is JSON: ${r.text}`);
});
