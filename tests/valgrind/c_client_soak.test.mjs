// libhenge (the example client), henge-pi and the lwIP port (henge-lwip-host: the
// microcontroller engine over Debian's lwIP) under valgrind through a long run: 100
// config pushes and 10 henged restarts (half graceful, half kill -9). The client must converge after each, and end with no
// memory error and nothing definitely or indirectly lost (valgrind exits 99 otherwise).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Henged, waitFor } from '../integration/harness.mjs';
import { CExample } from '../integration/c_example.mjs';

const PUSHES = 100;
const RESTARTS = 10;

const LWIP_HOST = process.env.HENGE_LWIP_HOST_BIN;
if (!LWIP_HOST) throw new Error('HENGE_LWIP_HOST_BIN must name henge-lwip-host');

for (const [name, pi, binary] of [['libhenge (the example client)', false, undefined], ['henge-pi', true, undefined],
  ['the lwIP port (henge-lwip-host)', false, LWIP_HOST]]) {
  test(`valgrind, ${name}: ${PUSHES} pushes and ${RESTARTS} henged restarts, no error, no leak`, async (t) => {
    assert.ok(process.env.VALGRIND, 'VALGRIND must name valgrind');
    let h = await new Henged({ args: ['--keepalive', '0.3'] }).start();
    const dataDir = h.dataDir;
    const address = h.address;
    t.after(async () => {
      await h.stop();
      h.cleanup();
    });
    const r = await h.post('/v1/devices', { id: 'soak' });
    assert.equal(r.status, 201);
    const client = new CExample({ server: h.url, token: r.json.token, pi, ...(binary ? { binary } : {}) }).start();
    t.after(() => client.stop());
    await client.waitApplied(undefined, 30000);

    let pushes = 0;
    for (let round = 0; round < RESTARTS; round++) {
      for (let i = 0; i < PUSHES / RESTARTS; i++) {
        const w = await h.put('/v1/devices/soak/config', { led: { on: i % 2 === 0 }, round, pad: 'x'.repeat(100 * i) });
        assert.equal(w.status, 200);
        pushes += 1;
      }
      // Level-triggered: the client may skip intermediate revisions, never the last.
      const last = (await h.get('/v1/devices/soak')).json.desired_revision;
      await client.waitApplied(last, 30000);
      if (round % 2 === 0) await h.stop(); else await h.kill9();
      const old = h;
      h = await new Henged({ dataDir, listen: address, args: ['--keepalive', '0.3'] }).start();
      old.ownsDir = false;  // the new process uses the same directory
      h.ownsDir = true;
    }
    const w = await h.put('/v1/devices/soak/config', { done: true });
    await client.waitApplied(w.json.revision, 30000);
    await waitFor(async () => (await h.get('/v1/devices/soak')).json.status === 'in_sync', 30000, 'in_sync');
    assert.equal(pushes, PUSHES);
    await client.stop();
  });
}
