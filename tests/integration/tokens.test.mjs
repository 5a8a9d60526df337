// /v1/tokens: operator tokens with roles and expiry, made and deleted by admins; the
// secret shown once and stored only hashed; the token's name is the actor in the audit
// log; the last working admin token cannot be deleted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged();

test('an admin makes a token, sees it listed without its secret, and its name is the actor of what it does', async () => {
  const { h } = box;
  const expires = new Date(Date.now() + 3600_000);
  const made = await h.post('/v1/tokens', { name: 'ops-alice', role: 'operator', expires_at: expires.toISOString() });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers.get('location'), '/v1/tokens/ops-alice');
  assert.match(made.json.token, /^hat_[A-Za-z0-9_-]{40,}$/);
  assert.equal(made.json.role, 'operator');
  assert.equal(Date.parse(made.json.expires_at), Math.floor(expires.getTime()));
  assert.equal(made.json.expired, false);

  const listed = (await h.get('/v1/tokens')).json.items.find((t) => t.name === 'ops-alice');
  assert.deepEqual(Object.keys(listed).sort(), ['created_at', 'expired', 'expires_at', 'name', 'role']);
  const one = await h.get('/v1/tokens/ops-alice');
  assert.equal(one.status, 200);
  assert.ok(!one.text.includes(made.json.token), 'never the secret again');

  const id = uniqueId('tok');
  const created = await h.post('/v1/devices', { id }, { token: made.json.token });
  assert.equal(created.status, 201, created.text);
  const audit = (await h.get(`/v1/audit?target=device/${id}`)).json.items;
  assert.equal(audit[0].actor, 'ops-alice');
  const madeEntry = (await h.get('/v1/audit?target=token/ops-alice')).json.items.at(-1);
  assert.equal(madeEntry.action, 'token.create');
  assert.equal(madeEntry.actor, 'bootstrap');
  assert.equal(madeEntry.change.role, 'operator');
  assert.ok(!JSON.stringify(madeEntry).includes(made.json.token));
});

test('a deleted token stops working at once; an expired one answers 401 saying so', async () => {
  const { h } = box;
  const t = (await h.post('/v1/tokens', { name: 'short-lived', role: 'viewer' })).json.token;
  assert.equal((await h.get('/v1/devices', { token: t })).status, 200);
  assert.equal((await h.del('/v1/tokens/short-lived')).status, 204);
  assert.equal((await h.get('/v1/devices', { token: t })).status, 401);
  assert.equal((await h.get('/v1/tokens/short-lived')).status, 404);
  assert.equal((await h.del('/v1/tokens/short-lived')).status, 404);
  assert.equal((await h.get('/v1/audit?target=token/short-lived&action=token.delete')).json.items.length, 1);

  const soon = new Date(Date.now() + 800).toISOString();
  const brief = (await h.post('/v1/tokens', { name: 'brief', role: 'admin', expires_at: soon })).json.token;
  assert.equal((await h.get('/v1/devices', { token: brief })).status, 200);
  const r = await waitFor(async () => {
    const got = await h.get('/v1/devices', { token: brief });
    return got.status === 401 ? got : null;
  }, 5000, 'the token to expire');
  assert.match(r.json.detail, /expired/);
  const listed = (await h.get('/v1/tokens/brief')).json;
  assert.equal(listed.expired, true);
});

test('bad token requests are refused with a clear problem', async () => {
  const { h } = box;
  const cases = [
    [{ role: 'viewer' }, 400, /name is required/],
    [{ name: 'Bad Name', role: 'viewer' }, 400, /token name/],
    [{ name: 'x1', role: 'root' }, 400, /admin, operator or viewer/],
    [{ name: 'x1' }, 400, /role is required/],
    [{ name: 'x1', role: 'viewer', expires_at: 'tomorrow' }, 400, /RFC 3339/],
    [{ name: 'x1', role: 'viewer', expires_at: '2001-01-01T00:00:00Z' }, 400, /in the future/],
    [{ name: 'x1', role: 'viewer', expires_at: 5 }, 400, /RFC 3339/],
    [{ name: 'x1', role: 'viewer', secret: 'mine' }, 400, /unknown field 'secret'/],
  ];
  for (const [body, status, detail] of cases) {
    const r = await h.post('/v1/tokens', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.match(r.json.detail, detail, JSON.stringify(body));
  }
  assert.equal((await h.post('/v1/tokens', { name: 'twice', role: 'viewer' })).status, 201);
  const again = await h.post('/v1/tokens', { name: 'twice', role: 'admin' });
  assert.equal(again.status, 409);
  assert.equal((await h.get('/v1/tokens/twice')).json.role, 'viewer', 'the first one is untouched');
});

test('the last working admin token cannot be deleted; with another admin it can', async () => {
  const { h } = box;
  // Only bootstrap and admins made by other tests exist; delete those first.
  for (const t of (await h.get('/v1/tokens')).json.items) {
    if (t.role === 'admin' && t.name !== 'bootstrap' && !t.expired) await h.del(`/v1/tokens/${t.name}`);
  }
  const last = await h.del('/v1/tokens/bootstrap');
  assert.equal(last.status, 409);
  assert.match(last.json.detail, /last admin token/);

  const spare = (await h.post('/v1/tokens', { name: 'spare-admin', role: 'admin' })).json.token;
  assert.equal((await h.del('/v1/tokens/bootstrap', { token: spare })).status, 204);
  assert.equal((await h.get('/v1/devices')).status, 401, 'the bootstrap token is gone');
  const back = await h.post('/v1/tokens', { name: 'bootstrap', role: 'admin' }, { token: spare });
  assert.equal(back.status, 201);
  h.adminToken = back.json.token;
});

test('tokens never reach the log', async () => {
  const { h } = box;
  const made = (await h.post('/v1/tokens', { name: 'log-probe', role: 'operator' })).json.token;
  assert.equal((await h.get('/v1/devices', { token: made })).status, 200);
  assert.equal((await h.get('/v1/devices', { token: `${made}x` })).status, 401);
  const stored = ['henge.db', 'henge.db-wal'].filter((f) => existsSync(join(h.dataDir, f)))
    .map((f) => readFileSync(join(h.dataDir, f)).toString('latin1')).join('');
  const log = h.stderr + h.stdout + stored;
  assert.ok(!log.includes(made), 'the secret is neither logged nor stored');
});
