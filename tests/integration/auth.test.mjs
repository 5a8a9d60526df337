// Who may do what: every documented /v1 operation, walked with every kind of credential
// — none, an unknown token, an expired token, a device token, and viewer, operator and
// admin tokens — and the answer checked against the rule: viewers read, operators also
// write devices, schemas, groups and config, admins also manage tokens, devices reach
// only the device API. A refused request is refused before anything else is looked at.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { waitFor } from './harness.mjs';
import { sharedHenged } from './shared_server.mjs';

const box = sharedHenged();
const doc = parse(readFileSync(new URL('../../api/openapi.yaml', import.meta.url), 'utf8'));
const PROBE = 'auth-probe';

function operations() {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete']) {
      if (!item[method]) continue;
      const security = item[method].security;
      const open = Array.isArray(security) && security.length === 0;
      const forDevices = Array.isArray(security) && security.some((s) => 'deviceToken' in s);
      out.push({ method: method.toUpperCase(), path, open, forDevices });
    }
  }
  return out;
}

// The least role an operation needs: the rule this test holds henged to.
function needs({ method, path, forDevices }) {
  if (forDevices) return 'device';
  if (path.startsWith('/v1/tokens')) return 'admin';
  return method === 'GET' ? 'viewer' : 'operator';
}

const RANK = { viewer: 1, operator: 2, admin: 3 };
function allowed(role, op) {
  const need = needs(op);
  if (need === 'device' || role === 'device') return need === role;
  return RANK[role] >= RANK[need];
}

// One request; an event stream is closed as soon as its head arrives.
async function call(h, method, path, token, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const abort = new AbortController();
  const res = await fetch(h.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: abort.signal });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    abort.abort();
  } else {
    await res.text();
  }
  return res;
}

// What every walk finds in place: a device (with a config the pointer route can read),
// a schema, a group and a token, all named PROBE.
async function fixtures(h) {
  await h.del(`/v1/devices/${PROBE}`);
  const device = await h.post('/v1/devices', { id: PROBE, config: { a: { b: 1 } } });
  assert.equal(device.status, 201, device.text);
  const schema = await h.put(`/v1/schemas/${PROBE}`, { type: 'object' });
  assert.ok([200, 201].includes(schema.status), schema.text);
  const group = await h.put(`/v1/groups/${PROBE}`, { config: {} });
  assert.ok([200, 201].includes(group.status), group.text);
  await h.del(`/v1/tokens/${PROBE}`);
  assert.equal((await h.post('/v1/tokens', { name: PROBE, role: 'viewer' })).status, 201);
  return device.json.token;
}

async function token(h, name, role, extra = {}) {
  const r = await h.post('/v1/tokens', { name, role, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

test('every operation answers each kind of credential as its role allows', async () => {
  const { h } = box;
  const ops = operations().filter((o) => !o.open);
  assert.equal(ops.filter((o) => !o.forDevices).length, 32, 'every operator operation of the API');
  assert.equal(ops.filter((o) => o.forDevices).length, 4, 'every device operation of the API');
  // Reads first, deletes last, so each read finds what the fixtures made.
  const order = { GET: 0, PUT: 1, POST: 1, PATCH: 1, DELETE: 2 };
  ops.sort((a, b) => order[a.method] - order[b.method]);

  const roles = {
    viewer: await token(h, 'walk-viewer', 'viewer'),
    operator: await token(h, 'walk-operator', 'operator'),
    admin: await token(h, 'walk-admin', 'admin'),
  };
  const soon = new Date(Date.now() + 1000).toISOString();
  const expired = await token(h, 'walk-expired', 'admin', { expires_at: soon });
  await waitFor(async () => (await call(h, 'GET', '/v1/devices', expired)).status === 401, 5000, 'the token to expire');

  const refusedAlways = { none: null, unknown: 'hat_not-a-token-henged-made', expired };
  const checked = { refused: 0, allowed: 0 };
  for (const credential of ['none', 'unknown', 'expired', 'device', 'viewer', 'operator', 'admin']) {
    const deviceToken = await fixtures(h);
    for (const op of ops) {
      const concrete = op.path.replace('{pointer}', 'a/b').replace(/\{[^}]+\}/g, PROBE);
      const body = ['PUT', 'POST', 'PATCH'].includes(op.method) ? {} : undefined;
      const secret = credential in refusedAlways ? refusedAlways[credential]
        : credential === 'device' ? deviceToken : roles[credential];
      const res = await call(h, op.method, concrete, secret, body);
      const what = `${op.method} ${op.path} with ${credential}`;
      if (credential in refusedAlways) {
        assert.equal(res.status, 401, what);
        assert.equal(res.headers.get('content-type'), 'application/problem+json', what);
        checked.refused++;
      } else if (!allowed(credential, op)) {
        assert.equal(res.status, 403, what);
        assert.equal(res.headers.get('content-type'), 'application/problem+json', what);
        checked.refused++;
      } else {
        // Allowed: reads of what exists answer 200; writes with an empty body get past
        // authorization to the handler, which judges the body.
        if (op.method === 'GET') assert.equal(res.status, 200, what);
        else assert.ok(![401, 403].includes(res.status) && res.status < 500, `${what}: ${res.status}`);
        checked.allowed++;
      }
    }
  }
  assert.equal(checked.refused + checked.allowed, 7 * 36);
});

test('the open operations need no token', async () => {
  const { h } = box;
  for (const { method, path } of operations().filter((o) => o.open)) {
    const r = await h.req(method, path, { token: null });
    assert.equal(r.status, 200, `${method} ${path}`);
  }
});
