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
