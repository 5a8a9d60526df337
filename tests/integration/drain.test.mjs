// SIGTERM: readiness fails at once, streams get goaway spread over the drain period,
// and henged exits 0 within the drain period and 5 s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Henged, SseClient, waitFor } from './harness.mjs';

test('SIGTERM: /readyz 503 at once, goaway spread over --drain, exit 0 in time', async (t) => {
  const h = await new Henged({ store: 'memory', args: ['--drain', '2'] }).start();
  t.after(() => h.kill9().then(() => h.cleanup()));
  const streams = [];
  for (let i = 0; i < 10; i++) {
    const r = await h.post('/v1/devices', { id: `drain-${i}` });
    const s = new SseClient(`${h.url}/v1/device/stream`, { token: r.json.token });
    await s.waitFor((e) => e.event === 'config');
    streams.push(s);
  }
  const start = Date.now();
  h.proc.kill('SIGTERM');
  await waitFor(async () => (await h.get('/readyz', { token: null }).catch(() => ({ status: 0 }))).status === 503,
    1000, 'readyz to fail');
  const arrivals = [];
  for (const s of streams) {
    const g = await s.waitFor((e) => e.event === 'goaway', 5000, 'goaway');
    assert.deepEqual(g.json, { reason: 'shutdown' });
    arrivals.push(g.at - start);
  }
  const { code } = await h.exited;
  const total = Date.now() - start;
  assert.equal(code, 0);
  assert.ok(total <= 2000 + 5000, `exited after ${total} ms`);
  arrivals.sort((a, b) => a - b);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 500, `goaways spread: ${arrivals.join(', ')} ms`);
});
