// /healthz, /readyz and /metrics answer while every worker is busy: long validations
// hold the worker pool, and a probe that queued behind them would have an orchestrator
// restart a henged that is only working.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, withHenged } from './harness.mjs';

test('probes answer while every worker is busy with writes', async (t) => {
  const h = await withHenged(t, { args: ['--worker-threads', '2'] });
  // Each level validates its child twice (the first branch fails only after recursing),
  // so a config 13 levels deep costs some 2^14 subschema visits: a valid write that
  // keeps a worker busy for a while.
  const schema = {
    $ref: '#/definitions/n',
    definitions: {
      n: {
        anyOf: [
          { properties: { a: { $ref: '#/definitions/n' } }, required: ['missing'] },
          { properties: { a: { $ref: '#/definitions/n' } } },
        ],
      },
    },
  };
  assert.equal((await h.put('/v1/schemas/busy', schema)).status, 201);
  assert.equal((await h.post('/v1/devices', { id: 'busy-1', schema: 'busy' })).status, 201);
  const config = '{"a":'.repeat(13) + '{}' + '}'.repeat(13);
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
  assert.ok(answers.every((r) => r.status === 200), answers.map((r) => r.text).join('\n'));
  for (const p of probes) {
    assert.equal(p.status, 200, p.path);
    assert.equal(p.settledBefore, 0, `${p.path} answered before any of the writes it would have queued behind`);
  }
});
