// The fleet benchmarks' load generator keeps working: 1,000 streams from two processes
// over two source addresses, a group write timed to every one of them, and the
// goaway a deleted device gets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, withHenged } from './harness.mjs';
import { Fleet, monotonicNs } from '../../bench/loadgen/driver.mjs';

const LOADGEN = process.env.HENGE_LOADGEN_BIN;

test('henge-loadgen holds 1,000 streams and times a group write to all of them', async (t) => {
  const h = await withHenged(t);
  const ids = Array.from({ length: 1000 }, (_, i) => `lg-${i}`);
  const reg = await h.post('/v1/devices:batch', { devices: ids.map((id) => ({ id, groups: ['fleet'] })) });
  assert.equal(reg.status, 201);
  const tokens = join(tempDir(), 'tokens.csv');
  writeFileSync(tokens, `id,token\n${reg.json.devices.map((d) => `${d.id},${d.token}`).join('\n')}\n`);

  const fleet = new Fleet(LOADGEN, {
    servers: [h.address], tokens,
    shares: [{ first: 0, count: 500, sources: ['127.0.0.2'] }, { first: 500, count: 500, sources: ['127.0.0.3'] }],
  });
  t.after(() => fleet.quit());
  const opened = await fleet.waitAllOpen(60000);
  assert.ok(opened.ok, JSON.stringify(await fleet.status()));
  let s = await fleet.status();
  assert.equal(s.open, 1000);
  assert.equal(s.events, 1000, 'each stream got its current config once');
  const metrics = await h.get('/metrics');
  assert.match(metrics.text, /^henge_streams_open 1000$/m);

  await fleet.arm();
  const t0 = monotonicNs();
  const w = await h.put('/v1/groups/fleet', { priority: 1, config: { interval: 9 } });
  assert.equal(w.status, 201);
  const got = await fleet.collect(t0, [500, 500], 30000);
  assert.equal(got.received, 1000);
  assert.equal(got.max_revision, w.json.revision);
  assert.ok(got.min_us > 0 && got.max_us >= got.min_us, JSON.stringify(got));

  // A deleted device's stream gets goaway "deleted" and does not come back.
  assert.equal((await h.del('/v1/devices/lg-7')).status, 204);
  const deadline = Date.now() + 10000;
  while ((s = await fleet.status()).refused < 1 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.equal(s.refused, 1);
  assert.equal(s.open, 999);
});
