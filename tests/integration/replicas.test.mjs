// Several henged replicas over one PostgreSQL, behind haproxy: a write through one
// replica reaches devices held by another; a replica killed with kill -9 loses its
// devices to the others and no acknowledged write; a PostgreSQL restart under load
// heals by itself and loses no write that was answered 2xx.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, cliFor } from './clients.mjs';
import { SseClient, waitFor } from './harness.mjs';
import { Haproxy, Postgres, replica } from './replicas.mjs';

const pg = new Postgres();
before(async () => { await pg.start(); });
after(async () => { await pg.destroy(); });

// Replicas on a fresh database, stopped (exit 0 asserted) when the test ends.
async function replicas(t, n, args = []) {
  const url = await pg.createDatabase();
  const out = [];
  for (let i = 0; i < n; ++i) {
    const h = await replica(url, { id: `r${i}`, args: ['--keepalive', '0.3', '--replica-lease', '3', ...args] }).start();
    t.after(async () => {
      const { code, signal } = await h.stop();
      h.cleanup();
      if (code !== 0 && signal !== 'SIGKILL') throw new Error(`replica exited with ${code ?? signal}: ${h.stderr.slice(-3000)}`);
    });
    out.push(h);
  }
  return { url, replicas: out };
}

async function addDevice(h, id) {
  const r = await h.post('/v1/devices', { id });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

function revisionOf(res) {
  return Number(/"(\d+)"/.exec(res.headers.get('etag'))[1]);
}

async function startAgent(t, server, token) {
  const agent = new Agent({ server, token, args: ['--keepalive', '0.3'] }).start();
  t.after(() => agent.stop());
  await agent.waitLog(/applied revision=/);
  return agent;
}

// How fast a write crosses replicas is bench/replica_bench.mjs's to measure (its
// cross-replica push: p99 under 10 ms here); this test asserts that it does, with a
// deadline a loaded sanitizer build meets.
test('a write through replica B reaches an agent held by replica A, and B sees it connected and in sync', async (t) => {
  const { replicas: [a, b] } = await replicas(t, 2);
  const token = await addDevice(b, 'pi-1');
  const agent = await startAgent(t, a.url, token);

  for (let i = 1; i <= 5; ++i) {
    const r = await b.put('/v1/devices/pi-1/config', { n: i });
    assert.equal(r.status, 200, r.text);
    await waitFor(() => agent.config() && JSON.parse(agent.config()).n === i, 10000,
      `write ${i} through B in the agent held by A`);
  }
  const seen = await waitFor(async () => {
    const d = (await b.get('/v1/devices/pi-1')).json;
    return d.status === 'in_sync' && d.connected ? d : null;
  }, 5000, 'B to report the device connected (through A) and in sync');
  assert.equal(seen.connected, true);
  assert.match((await cliFor(b).ok(['device', 'get', 'pi-1'])).stdout, /^replica: r0$/m, 'the CLI names the replica');
});

test('kill -9 of a replica: its agents reconnect through haproxy to the other and converge; no acknowledged write is lost', async (t) => {
  const { replicas: [a, b] } = await replicas(t, 2);
  const proxy = await new Haproxy([a.address, b.address]).start();
  t.after(() => proxy.stop());

  const ids = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'];
  const agents = {};
  for (const id of ids) agents[id] = await startAgent(t, proxy.url, await addDevice(b, id));
  // haproxy spreads the streams (leastconn); the device records name the replica.
  const held = await waitFor(async () => {
    const list = (await b.get('/v1/devices?connected=true')).json.items;
    return list.length === ids.length ? list : null;
  }, 5000, 'every agent connected');
  const onA = held.filter((d) => d.replica === 'r0').map((d) => d.id);
  assert.ok(onA.length > 0 && onA.length < ids.length, `streams on both replicas (on A: ${onA})`);

  // A device that will not come back: its stream is held by A directly.
  const goneToken = await addDevice(b, 'gone');
  const gone = new SseClient(`${a.url}/v1/device/stream`, { token: goneToken });
  t.after(() => gone.close());
  await waitFor(async () => (await b.get('/v1/devices/gone')).json.replica === 'r0', 5000, 'gone held by A');

  // Writes through haproxy, before and after A dies; remember what was answered 2xx.
  const acknowledged = {};  // id -> { value, revision } of its last 2xx write
  let stop = false;
  let n = 0;
  const writer = (async () => {
    while (!stop) {
      const id = ids[n % ids.length];
      const value = ++n;
      try {
        const r = await fetch(`${proxy.url}/v1/devices/${id}/config`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${b.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ n: value }),
        });
        await r.text();
        if (r.status === 200) acknowledged[id] = { value, revision: revisionOf(r) };
      } catch {
        // A request cut by the kill got no answer: it promised nothing.
      }
    }
  })();
  await waitFor(() => n >= 30, 10000, 'writes before the kill');
  await a.kill9();
  const killedAt = n;
  const killedTime = Date.now();
  await waitFor(() => n >= killedAt + 30, 20000, 'writes after the kill');
  stop = true;
  await writer;

  // A's lease (3 s) runs out: the device it held, which never reconnected, reads as
  // disconnected on B; the others are connected through B.
  await waitFor(async () => (await b.get('/v1/devices/gone')).json.connected === false, 10000,
    'the dead replica\'s device to read disconnected');
  assert.ok(Date.now() - killedTime >= 1500, 'not before the lease (renewed every second) could run out');

  for (const id of ids) {
    const want = acknowledged[id];
    assert.ok(want, `a write to ${id} was acknowledged`);
    await waitFor(() => {
      const file = agents[id].config();
      return file && JSON.parse(file).n === want.value;
    }, 10000, `${id}'s agent to converge on its last acknowledged write (n=${want.value})`);
    const history = (await b.get(`/v1/devices/${id}/history?limit=200`)).json.items;
    assert.ok(history.some((e) => e.revision === want.revision), `${id}'s revision ${want.revision} is in its history`);
    const d = await waitFor(async () => {
      const got = (await b.get(`/v1/devices/${id}`)).json;
      return got.status === 'in_sync' && got.connected && got.replica === 'r1' ? got : null;
    }, 10000, `${id} connected to B and in sync`);
    assert.equal(d.applied_revision, want.revision);
  }
});

test('PostgreSQL restarted under write load: replicas answer 503 meanwhile, keep streams open, recover on their own; no 2xx write is lost', async (t) => {
  const { replicas: [a, b] } = await replicas(t, 2);
  const token = await addDevice(a, 'pi-1');
  const agent = await startAgent(t, a.url, token);

  const acknowledged = [];  // { value, revision }
  const statuses = new Set();
  let stop = false;
  let value = 0;
  const writers = [a, b].map((h) => (async () => {
    while (!stop) {
      const v = ++value;
      const r = await h.put('/v1/devices/pi-1/config', { n: v }).catch(() => null);
      if (!r) continue;
      statuses.add(r.status);
      if (r.status === 200) acknowledged.push({ v, revision: revisionOf(r) });
      else assert.equal(r.status, 503, `a write while the database is away is 503, not ${r.status}: ${r.text}`);
    }
  })());
  await waitFor(() => acknowledged.length >= 20, 10000, 'writes before the restart');
  await pg.stop();
  await waitFor(async () => (await a.get('/readyz')).status === 503 && (await b.get('/readyz')).status === 503,
    10000, 'both replicas to report not ready');
  await waitFor(() => statuses.has(503), 10000, 'a write answered 503 while the database is down');
  const agentLogBefore = agent.log.length;
  await pg.start();
  await waitFor(async () => (await a.get('/readyz')).status === 200 && (await b.get('/readyz')).status === 200,
    15000, 'both replicas ready again');
  const recovered = acknowledged.length;
  await waitFor(() => acknowledged.length >= recovered + 20, 15000, 'writes succeeding again');
  stop = true;
  await Promise.all(writers);

  // The agent's stream stayed open through the outage and gets the last write.
  assert.doesNotMatch(agent.log.slice(agentLogBefore), /reconnecting|stream ended|connect failed/i,
    'the agent\'s stream stayed open');
  const last = acknowledged.reduce((x, y) => (y.revision > x.revision ? y : x));
  await waitFor(() => JSON.parse(agent.config()).n === last.v, 5000, 'the agent to apply the last acknowledged write');
  const history = (await b.get('/v1/devices/pi-1/history?limit=1000')).json.items;
  const revisions = new Set(history.map((e) => e.revision));
  for (const w of acknowledged) assert.ok(revisions.has(w.revision), `acknowledged revision ${w.revision} is in the history`);
});
