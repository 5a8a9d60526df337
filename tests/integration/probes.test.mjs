// /healthz, /readyz and /metrics answer while every worker is busy: long validations
// hold the worker pool, and a probe that queued behind them would have an orchestrator
// restart a henged that is only working.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, withHenged } from './harness.mjs';

test('probes answer while every worker is busy with writes', async (t) => {
  const h = await withHenged(t, { args: ['--worker-threads', '2'] });
  const schema = { type: 'object', properties: { list: { type: 'array', items: { type: 'string' } } } };
  assert.equal((await h.put('/v1/schemas/busy', schema)).status, 201);
  assert.equal((await h.post('/v1/devices', { id: 'busy-1', schema: 'busy' })).status, 201);
  // 100,000 items of the wrong type: each write validates and lists errors for a while.
  const config = JSON.stringify({ list: new Array(100000).fill(0) });
  let settled = 0;
  const writes = Array.from({ length: 6 }, () =>
    h.put('/v1/devices/busy-1/config', config).then((r) => {
      settled += 1;
      return r;
    }));
  // Every write read and handed over: two being handled, four queued behind them (the
  // gauge counts the /metrics request asking, too).
  const inFlight = async () => {
    const m = await h.get('/metrics');
    return Number(/^henge_requests_in_flight (\d+)$/m.exec(m.text)?.[1] ?? 0);
  };
  await waitFor(async () => (await inFlight()) >= 7, 30000, 'all six writes in the pool');
  assert.equal(settled, 0);
  const probes = [];
  for (const path of ['/healthz', '/readyz']) {
    const r = await h.get(path, { token: null });
    probes.push({ path, status: r.status, settledBefore: settled });
  }
  const answers = await Promise.all(writes);
  assert.ok(answers.every((r) => r.status === 422), 'every write was refused by the schema');
  for (const p of probes) {
    assert.equal(p.status, 200, p.path);
    assert.equal(p.settledBefore, 0, `${p.path} answered before any of the writes it would have queued behind`);
  }
});
