// Every documented /v1 operation refuses a request with no token, an unknown token
// or a device token — before it looks at anything else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { sharedHenged } from './shared_server.mjs';

const box = sharedHenged();
const doc = parse(readFileSync(new URL('../../api/openapi.yaml', import.meta.url), 'utf8'));

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

test('every protected operation answers 401 without a valid token and 403 to the other kind of token', async () => {
  const { h } = box;
  const device = await h.post('/v1/devices', { id: 'auth-probe' });
  assert.equal(device.status, 201);
  const protectedOps = operations().filter((o) => !o.open);
  assert.equal(protectedOps.filter((o) => !o.forDevices).length, 26, 'every operator operation of the API');
  assert.equal(protectedOps.filter((o) => o.forDevices).length, 4, 'every device operation of the API');
  for (const { method, path, forDevices } of protectedOps) {
    const concrete = path.replace('{pointer}', 'a/b').replace(/\{[^}]+\}/g, 'auth-probe');
    const body = ['PUT', 'POST', 'PATCH'].includes(method) ? {} : undefined;
    for (const token of [null, 'wrong-token']) {
      const r = await h.req(method, concrete, { token, body });
      assert.equal(r.status, 401, `${method} ${path} with ${token ?? 'no token'}`);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
    }
    const other = forDevices ? h.adminToken : device.json.token;
    const r = await h.req(method, concrete, { token: other, body });
    assert.equal(r.status, 403, `${method} ${path} with a ${forDevices ? 'operator' : 'device'} token`);
  }
});

test('the open operations need no token', async () => {
  const { h } = box;
  for (const { method, path } of operations().filter((o) => o.open)) {
    const r = await h.req(method, path, { token: null });
    assert.equal(r.status, 200, `${method} ${path}`);
  }
});
