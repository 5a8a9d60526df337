// An independent client, the npm `eventsource` package, resumes with Last-Event-ID
// across a henged restart on the same address and data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { Henged, waitFor } from './harness.mjs';

test('eventsource resumes across a restart and gets exactly the revisions it missed', async (t) => {
  const first = await new Henged().start();
  const dir = first.dataDir;
  let second;
  t.after(async () => {
    await first.kill9();
    if (second) await second.kill9();
    first.cleanup();
  });
  const created = await first.post('/v1/devices', { id: 'es-1' });
  const token = created.json.token;
  const url = `${first.url}/v1/device/stream`;
  const seen = [];
  const lastIds = [];
  const es = new EventSource(url, {
    fetch: (input, init) => {
      lastIds.push(init.headers['Last-Event-ID'] ?? init.headers['last-event-id'] ?? null);
      return fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
    },
  });
  es.addEventListener('config', (e) => seen.push(Number(e.lastEventId)));
  try {
    await waitFor(() => seen.length === 1, 5000, 'the first config');
    const w1 = await first.put('/v1/devices/es-1/config/n', 1);
    await waitFor(() => seen.includes(w1.json.revision), 2000, 'revision via the first server');

    assert.equal((await first.stop()).code, 0);
    // While no server runs, the config changes twice; the client has not seen either.
    second = await new Henged({ dataDir: dir, listen: first.address }).start();
    const w2 = await second.put('/v1/devices/es-1/config/n', 2);
    const w3 = await second.put('/v1/devices/es-1/config/n', 3);
    await waitFor(() => seen.includes(w3.json.revision), 10000, 'the newest revision after the restart');
    assert.ok(lastIds.slice(1).includes(String(w1.json.revision)), `resumed with ${JSON.stringify(lastIds)}`);
    assert.ok(!seen.includes(w2.json.revision) || seen.indexOf(w2.json.revision) < seen.indexOf(w3.json.revision));
    assert.equal(new Set(seen).size, seen.length, 'no revision twice');
  } finally {
    es.close();
    if (second) assert.equal((await second.stop()).code, 0);
  }
});
