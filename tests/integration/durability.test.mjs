// kill -9 in the middle of a write load: every write that got a 2xx survives, and
// revisions keep increasing after the restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Henged, waitFor } from './harness.mjs';

const DEVICES = 8;
const ACKED_BEFORE_KILL = 150;

test('every acknowledged write survives kill -9', async (t) => {
  const h = await new Henged().start();
  t.after(async () => {
    await h.kill9();  // a no-op once it is dead
    h.cleanup();
  });
  const ids = [];
  for (let i = 0; i < DEVICES; i++) {
    const id = `dur-${i}`;
    assert.equal((await h.post('/v1/devices', { id })).status, 201);
    ids.push(id);
  }
  // acked[id] = [{n, revision}] in the order the server acknowledged them.
  const acked = Object.fromEntries(ids.map((id) => [id, []]));
  let total = 0;
  let stop = false;
  const writers = ids.map(async (id) => {
    for (let n = 1; !stop; n++) {
      try {
        const r = await h.put(`/v1/devices/${id}/config/n`, n);
        if (r.status === 200) {
          acked[id].push({ n, revision: r.json.revision });
          total += 1;
        }
      } catch {
        return;  // the connection died with the server
      }
    }
  });
  await waitFor(() => total >= ACKED_BEFORE_KILL, 60000, 'writes to be acknowledged');
  await h.kill9();
  stop = true;
  await Promise.all(writers);

  const again = await new Henged({ dataDir: h.dataDir }).start();
  try {
    let maxAcked = 0;
    for (const id of ids) {
      const cfg = await again.get(`/v1/devices/${id}/config`);
      assert.equal(cfg.status, 200);
      const last = acked[id].at(-1);
      if (!last) continue;
      assert.ok(cfg.json.config.n >= last.n, `${id}: acknowledged n=${last.n}, found ${cfg.json.config.n}`);
      const hist = await again.get(`/v1/devices/${id}/history?limit=1000`);
      const revisions = new Set(hist.json.items.map((e) => e.revision));
      for (const a of acked[id]) {
        assert.ok(revisions.has(a.revision), `${id}: acknowledged revision ${a.revision} is missing`);
        maxAcked = Math.max(maxAcked, a.revision);
      }
    }
    const next = await again.put(`/v1/devices/${ids[0]}/config/n`, -1);
    assert.equal(next.status, 200);
    assert.ok(next.json.revision > maxAcked, `revision ${next.json.revision} after ${maxAcked}`);
  } finally {
    assert.equal((await again.stop()).code, 0);
  }
});
