import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import net from 'node:net';
import { HENGED, Henged, tempDir, waitFor } from './harness.mjs';
import { sharedHenged } from './shared_server.mjs';

const box = sharedHenged();
const openapiPath = new URL('../../api/openapi.yaml', import.meta.url);

test('/healthz and /readyz answer without a token', async () => {
  const { h } = box;
  const health = await h.get('/healthz', { token: null });
  assert.equal(health.status, 200);
  assert.equal(health.json.status, 'ok');
  const ready = await h.get('/readyz', { token: null });
  assert.equal(ready.status, 200);
});

test('/v1/openapi.yaml serves the document in the repository', async () => {
  const { h } = box;
  const r = await h.get('/v1/openapi.yaml', { token: null });
  assert.equal(r.status, 200);
  assert.equal(r.text, readFileSync(openapiPath, 'utf8'));
});

// Keeps api/openapi.yaml and the server's routes one and the same.
test('every operation in api/openapi.yaml is routed, and nothing else under /v1 is', async () => {
  const { h } = box;
  const doc = parse(readFileSync(openapiPath, 'utf8'));
  const methods = ['get', 'put', 'post', 'patch', 'delete'];
  let operations = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    const concrete = path.replace(/\{pointer\}/, 'some/field').replace(/\{[^}]+\}/g, 'x-probe');
    for (const m of methods) {
      const r = await h.req(m.toUpperCase(), concrete, { token: null });
      if (item[m]) {
        operations += 1;
        assert.notEqual(r.status, 405, `${m} ${path} is documented but not routed`);
        assert.ok(!(r.status === 404 && /no route/.test(r.json?.detail ?? '')), `${m} ${path} is not routed`);
      } else {
        const routed = r.status !== 405 && !(r.status === 404 && /no route/.test(r.json?.detail ?? ''));
        assert.ok(!routed, `${m.toUpperCase()} ${path} is routed but not documented`);
      }
    }
  }
  assert.ok(operations >= 28, `only ${operations} operations documented`);
});

test('SIGTERM drains and exits 0; readiness fails while draining', async () => {
  const h = await new Henged({ store: 'memory' }).start();
  const { code } = await h.stop();
  assert.equal(code, 0);
  assert.match(h.stderr, /signal received; draining/);
  h.cleanup();
});

test('a first start without an admin token generates one, shows it once and keeps it 0600', async () => {
  const dir = tempDir();
  const first = await new Henged({ dataDir: dir, adminToken: null }).start();
  try {
    const shown = /admin token \(shown once\): (\S+)/.exec(first.stdout)?.[1]
      ?? (await waitForToken(first));
    assert.match(shown, /^hat_/);
    const file = join(dir, 'admin-token');
    assert.equal(readFileSync(file, 'utf8').trim(), shown);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((await first.get('/v1/devices', { token: shown })).status, 200);
    assert.equal((await first.stop()).code, 0);

    const second = await new Henged({ dataDir: dir, adminToken: null }).start();
    assert.doesNotMatch(second.stdout, /admin token/);
    assert.equal((await second.get('/v1/devices', { token: shown })).status, 200, 'the token survives a restart');
    assert.equal((await second.stop()).code, 0);

    const third = await new Henged({ dataDir: dir, adminToken: 'replacement-token' }).start();
    assert.equal((await third.get('/v1/devices', { token: 'replacement-token' })).status, 200);
    assert.equal((await third.get('/v1/devices', { token: shown })).status, 401, 'a given token replaces it');
    assert.equal((await third.stop()).code, 0);
  } finally {
    await first.stop();
    first.cleanup();
  }
});

test('an admin token shorter than 16 characters is refused with one line', async () => {
  const h = new Henged({ adminToken: 'CHANGE-ME' });
  await assert.rejects(h.start(), /henged exited early/);
  const { code } = await h.exited;
  assert.equal(code, 1);
  assert.equal(h.stderr.trim(), 'henged: the admin token is shorter than 16 characters: give a long random one (e.g. openssl rand -hex 32)');
  h.cleanup();
});

function waitForToken(h) {
  return waitFor(() => /admin token \(shown once\): (\S+)/.exec(h.stdout)?.[1], 5000, 'the admin token');
}

test('the memory store serves the API too', async () => {
  const h = await new Henged({ store: 'memory' }).start();
  try {
    assert.equal((await h.post('/v1/devices', { id: 'mem-1' })).status, 201);
    assert.equal((await h.get('/v1/devices/mem-1')).status, 200);
  } finally {
    assert.equal((await h.stop()).code, 0);
    h.cleanup();
  }
});

test('henged refuses bad settings with a one-line error: exit 2 for usage, 1 for a setting it cannot use', async () => {
  const h = new Henged({ args: ['--store', 'cassandra'] });
  await assert.rejects(h.start(), /exited early \(\{"code":2,.*--store/s);
  const unknown = new Henged({ args: ['--no-such-flag'] });
  await assert.rejects(unknown.start(), /exited early \(\{"code":2,.*no-such-flag/s);
  const bad = new Henged({ listen: 'nowhere' });
  await assert.rejects(bad.start(), /exited early \(\{"code":1,.*--listen/s);
  h.cleanup();
  unknown.cleanup();
  bad.cleanup();
});

test('henged --help prints its usage on stdout and exits 0', () => {
  const r = spawnSync(HENGED, ['--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--listen/);
  assert.equal(r.stderr, '');
});

test('henged does not warn of plain HTTP on loopback (the LoopbackAddress unit test covers the rest)', async (t) => {
  const local = await new Henged({ store: 'memory' }).start();
  t.after(() => local.cleanup());
  assert.doesNotMatch(local.stderr, /plain HTTP to the network/);
  assert.equal((await local.stop()).code, 0);
});

test('the data directory and henge.db are their owner\'s alone (0700, 0600)', async (t) => {
  const parent = tempDir();
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const h = await new Henged({ dataDir: join(parent, 'made-by-henged') }).start();
  assert.equal((await h.stop()).code, 0);
  assert.equal(statSync(h.dataDir).mode & 0o777, 0o700);
  for (const f of readdirSync(h.dataDir)) {
    assert.equal(statSync(join(h.dataDir, f)).mode & 0o077, 0, `${f} is not readable by others`);
  }
  assert.equal(statSync(join(h.dataDir, 'henge.db')).mode & 0o777, 0o600);
});

test('--log-format json writes one JSON object per line, with request ids, numbers as numbers and no tokens', async () => {
  const h = await new Henged({ store: 'memory', args: ['--log-format', 'json'] }).start();
  let dev;
  try {
    dev = await h.post('/v1/devices', { id: 'log-1' }, { headers: { 'x-request-id': 'log-trace-1' } });
    assert.equal(dev.status, 201);
  } finally {
    assert.equal((await h.stop()).code, 0);
  }
  const lines = h.stderr.trim().split('\n').map((l) => JSON.parse(l));
  const entry = lines.find((l) => l.request_id === 'log-trace-1');
  assert.ok(entry, 'the request is logged with its id');
  assert.equal(entry.msg, 'request');
  assert.equal(entry.status, 201, 'a number stays a number');
  assert.equal(typeof entry.ms, 'number');
  assert.equal(entry.path, '/v1/devices');
  assert.equal(typeof entry.actor, 'string');
  assert.ok(lines.every((l) => l.time && l.level && l.msg));
  assert.ok(!h.stderr.includes(h.adminToken), 'the admin token is never logged');
  assert.ok(!h.stderr.includes(dev.json.token), 'a device token is never logged');
  h.cleanup();
});

test('henged says when connections near and reach the cap, and refuses beyond it', async () => {
  const h = await new Henged({ store: 'memory', args: ['--max-connections', '10'] }).start();
  const sockets = [];
  let closedByServer = 0;
  try {
    const [host, port] = h.address.split(':');
    for (let i = 0; i < 12; i++) {
      const s = net.connect(Number(port), host);
      s.on('error', () => {});
      s.on('end', () => (closedByServer += 1));
      s.resume();
      await new Promise((r) => s.on('connect', r));
      sockets.push(s);
    }
    await waitFor(() => /connection limit reached/.test(h.stderr), 5000, 'the limit to be logged');
    assert.match(h.stderr, /connections above 90% of the limit/);
    assert.match(h.stderr, /max_connections=10/);
    // The refused ones are closed by henged at once.
    await waitFor(() => closedByServer >= 2, 5000, 'the connections beyond the cap to be closed');
  } finally {
    for (const s of sockets) s.destroy();
    assert.equal((await h.stop()).code, 0);
    h.cleanup();
  }
});
