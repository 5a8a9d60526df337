// libhenge (the C client) against a real henged: applies, rejects, survives henged's
// death, and stops cleanly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Henged, waitFor } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';
import { CExample } from './c_example.mjs';

const box = sharedHenged({ args: ['--keepalive', '0.3'] });

async function device(h) {
  const id = uniqueId('c');
  const r = await h.post('/v1/devices', { id });
  assert.equal(r.status, 201);
  return { id, token: r.json.token };
}

test('the C client applies each pushed revision and acks it; a rejection shows as failed', async (t) => {
  const { h } = box;
  const d = await device(h);
  const client = new CExample({ server: h.url, token: d.token }).start();
  t.after(() => client.stop());
  const w = await h.put(`/v1/devices/${d.id}/config`, { led: { on: true } });
  await client.waitLine(`applied ${w.json.revision} {"led":{"on":true}}`);
  await waitFor(async () => (await h.get(`/v1/devices/${d.id}`)).json.status === 'in_sync', 5000, 'in_sync');

  const bad = await h.put(`/v1/devices/${d.id}/config`, { reject: true });
  await client.waitLine(`rejected ${bad.json.revision}`);
  const state = await waitFor(async () => {
    const s = (await h.get(`/v1/devices/${d.id}`)).json;
    return s.status === 'failed' ? s : null;
  }, 5000, 'failed');
  assert.equal(state.error, `this device refuses revision ${bad.json.revision}`);
});

test('polling, as a device that sleeps: applies once, is not modified until a new revision, rejects one over its limit naming it', async (t) => {
  const { h } = box;
  const d = await device(h);
  const client = new CExample({ server: h.url, token: d.token, env: { HENGE_POLL_MS: '50', HENGE_MAX_CONFIG_BYTES: '2048' } }).start();
  t.after(() => client.stop());
  const inSync = (revision) => waitFor(async () => {
    const s = (await h.get(`/v1/devices/${d.id}`)).json;
    return s.status === 'in_sync' && s.applied_revision === revision ? s : null;
  }, 5000, `in_sync at ${revision}`);
  const first = (await h.put(`/v1/devices/${d.id}/config`, { n: 1 })).json.revision;
  await client.waitLine(`applied ${first} {"n":1}`);
  await inSync(first);
  const seen = client.out.length;
  await waitFor(() => client.out.slice(seen).includes('polled not modified'), 5000, 'a poll answered 304');

  const big = (await h.put(`/v1/devices/${d.id}/config`, { blob: 'x'.repeat(4096) })).json.revision;
  const failed = await waitFor(async () => {
    const s = (await h.get(`/v1/devices/${d.id}`)).json;
    return s.status === 'failed' && s.desired_revision === big ? s : null;
  }, 5000, 'the oversized config rejected');
  assert.match(failed.error, /2048/);
  await client.waitLine('polled over the size limit');

  const next = (await h.put(`/v1/devices/${d.id}/config`, { n: 2 })).json.revision;
  await client.waitLine(`applied ${next} {"n":2}`);
  await inSync(next);
  const lines = client.out.split('\n');
  assert.equal(lines.filter((l) => l.startsWith(`applied ${first} `)).length, 1, 'applied once, then 304s');
  assert.equal(lines.filter((l) => l.startsWith(`applied ${big} `)).length, 0, 'the oversized config never applied');
});

test('kill -9 henged: the C client reconnects to the restarted henged and converges', async (t) => {
  const first = await new Henged({ args: ['--keepalive', '0.3'] }).start();
  let second;
  t.after(async () => {
    await first.kill9();
    if (second) await second.stop();
    first.cleanup();
  });
  const d = await device(first);
  const client = new CExample({ server: first.url, token: d.token }).start();
  t.after(() => client.stop());
  await client.waitLine('applied ');
  await first.kill9();
  second = await new Henged({ dataDir: first.dataDir, listen: first.address, args: ['--keepalive', '0.3'] }).start();
  const w = await second.put(`/v1/devices/${d.id}/config`, { after: 'restart' });
  await client.waitLine(`applied ${w.json.revision} {"after":"restart"}`);
  await waitFor(async () => (await second.get(`/v1/devices/${d.id}`)).json.status === 'in_sync', 5000, 'in_sync');
});
