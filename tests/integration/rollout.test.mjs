// A rolling update of replicated henged, done the way Kubernetes does it with the ha
// overlay (deploy/k8s/overlays/ha: maxSurge 1, maxUnavailable 0, a preStop delay): agents
// hold streams through haproxy to three v1 replicas over PostgreSQL while writers keep
// writing; for each v1 in turn a v2 replica starts and becomes ready, then the v1 leaves
// the endpoints (haproxy maintenance), waits out the preStop delay, gets SIGTERM, and is
// killed only if it outlives its grace period. Every write is answered 2xx, every agent
// ends with every write, and no agent goes without a stream longer than its backoff cap.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from './clients.mjs';
import { waitFor } from './harness.mjs';
import { Haproxy, Postgres, replica } from './replicas.mjs';

const pg = new Postgres();
before(async () => { await pg.start(); });
after(async () => { await pg.destroy(); });

const DRAIN_S = 1;
const PRESTOP_MS = 1000;
const GRACE_MS = 5000;  // above the drain and the 2 s henged allows itself past it
const BACKOFF_CAP_S = 2;
// Between the agent logging the end of one stream and the head of the next: the backoff
// wait (at most the cap) plus one connection through haproxy, which this allows 0.5 s
// on a loaded machine.
const CONNECT_ALLOWANCE_MS = 500;

// The agent's JSON log as { time (ms), msg } entries.
function logEntries(agent) {
  return agent.log.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    const e = JSON.parse(l);
    return { time: Date.parse(e.time), msg: e.msg };
  });
}

// The longest time the agent went without a stream: from each line saying a stream
// ended to the next "stream connected".
function longestGap(agent) {
  let longest = 0;
  let since = null;
  for (const { time, msg } of logEntries(agent)) {
    if (msg === 'stream connected') {
      if (since !== null) longest = Math.max(longest, time - since);
      since = null;
    } else if (since === null && /reconnect|stream ended|cannot reach/.test(msg)) {
      since = time;
    }
  }
  assert.equal(since, null, 'the agent ends with a stream');
  return longest;
}

test('rolling update of three replicas behind haproxy: no write refused or lost, no agent long without a stream', async (t) => {
  const url = await pg.createDatabase();
  const args = ['--keepalive', '1', '--replica-lease', '5', '--drain', String(DRAIN_S)];
  const started = [];
  const start = async (id) => {
    const h = await replica(url, { id, args }).start();
    started.push(h);
    return h;
  };
  t.after(async () => {
    for (const h of started) {
      await h.stop();
      h.cleanup();
    }
  });
  const v1 = [await start('v1-0'), await start('v1-1'), await start('v1-2')];
  const proxy = await new Haproxy(v1.map((h) => h.address), { slots: 3 }).start();
  t.after(() => proxy.stop());
  const admin = v1[0];

  assert.equal((await admin.put('/v1/groups/fleet', { config: {} })).status, 201);
  const agents = [];
  t.after(() => Promise.all(agents.map((a) => a.stop())));
  for (let i = 0; i < 12; ++i) {
    const r = await admin.post('/v1/devices', { id: `pi-${i}`, groups: ['fleet'] });
    assert.equal(r.status, 201, r.text);
    agents.push(new Agent({ server: proxy.url, token: r.json.token,
      args: ['--keepalive', '1', '--backoff-base', '0.05', '--backoff-cap', String(BACKOFF_CAP_S), '--log-format', 'json'] }).start());
  }
  await waitFor(async () => (await admin.get('/v1/devices?connected=true&limit=100')).json.items.length === 12,
    15000, 'every agent connected');
  const held = (await admin.get('/v1/devices?limit=100')).json.items.map((d) => d.replica);
  assert.ok(new Set(held).size === 3, `streams on all three v1 replicas (${held})`);

  // Two writers through haproxy, each write adding its own key to the fleet's config.
  const answered = [];  // { key, status }
  let stop = false;
  let n = 0;
  const writers = [0, 1].map(() => (async () => {
    while (!stop) {
      const key = `w${++n}`;
      let status;
      try {
        const r = await fetch(`${proxy.url}/v1/groups/fleet/config`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${admin.adminToken}`, 'content-type': 'application/merge-patch+json' },
          body: JSON.stringify({ [key]: true }),
        });
        await r.text();
        status = r.status;
      } catch (e) {
        status = `no answer: ${e.cause?.code ?? e.message}`;
      }
      answered.push({ key, status });
    }
  })());
  // A failed assertion must not leave the writers looping (the test would never end).
  t.after(async () => {
    stop = true;
    await Promise.all(writers);
  });
  await waitFor(() => answered.length >= 20, 10000, 'writes before the rollout');

  const v2 = [];
  for (let i = 0; i < 3; ++i) {
    // maxSurge 1: the new pod first, serving once ready.
    const fresh = await start(`v2-${i}`);
    await proxy.setServer(`s${i}`, fresh.address);
    v2.push(fresh);
    // maxUnavailable 0: only then does an old one go. It leaves the endpoints, its
    // preStop hook sleeps, and SIGTERM drains it.
    const old = v1[i];
    await proxy.maintain(`r${i}`);
    const writesBefore = answered.length;
    await waitFor(() => answered.length >= writesBefore + 5, 10000, 'writes during the preStop delay');
    await new Promise((resolve) => setTimeout(resolve, PRESTOP_MS));  // the preStop hook's sleep, not a synchronization
    old.proc.kill('SIGTERM');
    const timer = setTimeout(() => old.kill9(), GRACE_MS);
    const { code, signal } = await old.exited;
    clearTimeout(timer);
    assert.equal(signal, null, `v1-${i} outlived its grace period and was killed`);
    assert.equal(code, 0, old.stderr.slice(-3000));
  }
  const afterRollout = answered.length;
  await waitFor(() => answered.length >= afterRollout + 20, 10000, 'writes after the rollout');
  stop = true;
  await Promise.all(writers);

  const refused = answered.filter((w) => w.status !== 200);
  assert.deepEqual(refused, [], 'every write during the rollout answered 200');

  // Every agent ends with every write, held by a v2 replica, in sync.
  const want = Object.fromEntries(answered.map((w) => [w.key, true]));
  for (const [i, agent] of agents.entries()) {
    await waitFor(() => {
      const file = agent.config();
      return file && Object.keys(JSON.parse(file)).length === answered.length;
    }, 10000, `pi-${i} to have all ${answered.length} writes`);
    assert.deepEqual(JSON.parse(agent.config()), want);
  }
  const v2ids = new Set(v2.map((_, i) => `v2-${i}`));
  await waitFor(async () => {
    const items = (await v2[0].get('/v1/devices?limit=100')).json.items;
    return items.every((d) => d.connected && v2ids.has(d.replica) && d.status === 'in_sync');
  }, 10000, 'every device connected to a v2 replica and in sync');

  const gaps = agents.map(longestGap);
  t.diagnostic(`${answered.length} writes, all 200; longest time without a stream per agent (ms): ${gaps.join(' ')}`);
  const limit = BACKOFF_CAP_S * 1000 + CONNECT_ALLOWANCE_MS;
  assert.ok(Math.max(...gaps) <= limit, `longest time without a stream ${Math.max(...gaps)} ms (limit ${limit} ms): ${gaps}`);
  for (const agent of agents) {
    assert.ok(logEntries(agent).some((e) => e.msg === 'the server asked the agent to reconnect'),
      'each agent was moved by a goaway, not by a failure');
    assert.ok(!logEntries(agent).some((e) => /cannot reach|answered the stream with/.test(e.msg)),
      `no failed reconnect:\n${agent.log}`);
  }
});
