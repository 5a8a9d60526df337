// The device-client contract: what every henge client must do under faults, run over
// henge-agent, libhenge's example and henge-pi alike (as store_contract_test.cpp runs
// over every store). Each client talks to a real henged through the fault proxy, which
// records every frame and ack; protocol_check.mjs validates the recording.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Henged, tempDir, waitFor } from './harness.mjs';
import { uniqueId } from './shared_server.mjs';
import { FaultProxy } from './fault_proxy.mjs';
import { ContractClient, clientKinds, hasHooks } from './contract_clients.mjs';
import { checkSettled } from './protocol_check.mjs';

const KEEPALIVE = 0.5;

// One henged for the file; each scenario gets its own device, proxy and client.
async function setup(t, h, kind, options = {}, { startClient = true, token: withToken = true } = {}) {
  const id = uniqueId(`contract-${kind}`);
  const created = await h.post('/v1/devices', { id });
  assert.equal(created.status, 201);
  const proxy = await FaultProxy.start(h.url);
  const client = new ContractClient(kind, { server: proxy.url, token: withToken ? created.json.token : undefined, options });
  const ctx = {
    h, id, proxy, client, token: created.json.token,
    device: async () => (await h.get(`/v1/devices/${id}`)).json,
    write: async (config) => {
      const r = await h.put(`/v1/devices/${id}/config`, config);
      assert.equal(r.status, 200, r.text);
      return r.json.revision;
    },
    // Waits until henged records the device in sync at `revision`.
    inSync: (revision, ms = 15000) => waitFor(async () => {
      const d = await ctx.device();
      return d.status === 'in_sync' && d.applied_revision === revision ? d : undefined;
    }, ms, `${kind} in sync at ${revision}`),
    // Waits until henged records the device's rejection.
    failed: (ms = 10000) => waitFor(async () => {
      const d = await ctx.device();
      return d.status === 'failed' ? d : undefined;
    }, ms, `${kind} to report a rejection`),
    settled: async (revision, ms) => {
      const device = await ctx.inSync(revision, ms);
      checkSettled({ proxy, client, device, desired: revision });
      return device;
    },
  };
  t.after(async () => {
    if (client.running()) await client.stop();
    await proxy.close();
  });
  if (startClient) client.start();
  return ctx;
}

// A small tmpfs (size like "8k") mounted for the test, or undefined when this machine
// does not allow it (the test is then skipped, saying why).
function smallDisk(t, size) {
  const mnt = tempDir('henge-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]);
  } catch {
    t.skip('cannot mount a tmpfs here (needs root)');
    return undefined;
  }
  t.after(() => execFileSync('umount', ['-l', mnt]));
  return mnt;
}

// A step in time the client must honour: the first request at or after `from` to `path`.
function requestAfter(proxy, path, from) {
  return proxy.requests.find((r) => r.path === path && r.at > from);
}

const scenarios = [];
function scenario(name, fn, { only } = {}) {
  scenarios.push({ name, fn, only });
}

scenario('applies a config, acks it, and resumes from the persisted revision without running it again', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  const first = await c.write({ led: { on: true }, n: 1 });
  await c.settled(first);
  if (hasHooks(kind)) assert.equal(c.client.config(), '{"led":{"on":true},"n":1}');
  await c.client.stop();
  c.client.start();
  await waitFor(() => c.proxy.heldStreams().length === 2, 10000, 'the second stream');
  assert.equal(c.proxy.heldStreams()[1].lastEventId, String(first), 'resumes with Last-Event-ID');
  const second = await c.write({ led: { on: false }, n: 2 });
  await c.settled(second);
  assert.deepEqual(c.client.applies(), [first, second]);
});

scenario('an ack lost on a live stream is sent again on that stream', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  const first = await c.write({ n: 1 });
  await c.settled(first);
  c.proxy.fault('/v1/device/ack', { status: 503 }, 1);
  c.proxy.fault('/v1/device/ack', { cut: true }, 1);
  const second = await c.write({ n: 2 });
  await c.settled(second);
  assert.equal(c.proxy.heldStreams().length, 1, 'no reconnect was needed');
  assert.ok(c.proxy.acks.filter((a) => a.body?.revision === second).length >= 3, 'the ack was retried');
  assert.deepEqual(c.client.applies(), [first, second]);
});

scenario('an ack lost before a crash is sent after the restart, and nothing runs twice', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  c.proxy.fault('/v1/device/ack', { cut: true }, 1000);
  const rev = await c.write({ n: 1 });
  await waitFor(() => c.client.applies().includes(rev) && c.proxy.acks.some((a) => a.body?.revision === rev), 10000, 'applied, ack lost');
  await c.client.kill9();
  c.proxy.clearFaults();
  assert.notEqual((await c.device()).status, 'in_sync', 'henged has no ack for it yet');
  c.client.start();
  await c.settled(rev);
  assert.deepEqual(c.client.applies(), [rev], 'the config was not applied again');
});

scenario('429 and 503 with Retry-After on the stream are waited out', async (t, h, kind) => {
  const c = await setup(t, h, kind, { backoffCap: 5 }, { startClient: false });
  c.proxy.fault('/v1/device/stream', { status: 429, retryAfter: 2 });
  c.proxy.fault('/v1/device/stream', { status: 503, retryAfter: 1 });
  c.client.start();
  const rev = (await c.device()).desired_revision;
  await c.settled(rev);
  const tries = c.proxy.requests.filter((r) => r.path === '/v1/device/stream');
  assert.ok(tries[1].at - tries[0].at >= 1900, `retried ${tries[1].at - tries[0].at} ms after a 429 with Retry-After: 2`);
  assert.ok(tries[2].at - tries[1].at >= 900, `retried ${tries[2].at - tries[1].at} ms after a 503 with Retry-After: 1`);
  await c.client.waitLog(/429/);
  await c.client.waitLog(/503/);
});

scenario('503 with Retry-After on an ack is waited out', async (t, h, kind) => {
  const c = await setup(t, h, kind, { backoffCap: 5 });
  const first = await c.write({ n: 1 });
  await c.settled(first);
  c.proxy.fault('/v1/device/ack', { status: 503, retryAfter: 2 });
  const second = await c.write({ n: 2 });
  await c.settled(second);
  const acks = c.proxy.acks.filter((a) => a.body?.revision === second);
  assert.ok(acks[1].at - acks[0].at >= 1900, `ack retried ${acks[1].at - acks[0].at} ms after Retry-After: 2`);
});

scenario('goaway shutdown and overflow: reconnect soon, with Last-Event-ID', async (t, h, kind) => {
  const c = await setup(t, h, kind, { backoffCap: 30 });
  const first = await c.write({ n: 1 });
  await c.settled(first);
  for (const [i, reason] of ['shutdown', 'overflow'].entries()) {
    c.proxy.fault('frame', { goaway: reason });
    const rev = await c.write({ n: 2 + i });
    const ended = await waitFor(() => c.proxy.streamWithGoaway(reason), 5000, `the goaway ${reason}`);
    const next = await waitFor(() => c.proxy.heldStreams().find((s) => s.openedAt >= ended.closedAt), 10000,
      `a reconnect after goaway ${reason}`);
    assert.equal(next.lastEventId, String(rev));
    // retry: 2000 from henged bounds the wait, not the 30 s cap (slack for a slow machine).
    assert.ok(next.openedAt - ended.closedAt < 5000, `reconnected ${next.openedAt - ended.closedAt} ms after ${reason}`);
    await c.settled(rev);
  }
});

scenario('goaway replaced, deleted and token_rotated: wait the backoff cap before trying again', async (t, h, kind) => {
  const c = await setup(t, h, kind, { backoffCap: 1.5 });
  let rev = await c.write({ n: 0 });
  await c.settled(rev);
  for (const reason of ['replaced', 'deleted', 'token_rotated']) {
    c.proxy.fault('frame', { goaway: reason });
    rev = await c.write({ reason });
    const ended = await waitFor(() => c.proxy.streamWithGoaway(reason), 5000, `the goaway ${reason}`);
    const next = await waitFor(() => requestAfter(c.proxy, '/v1/device/stream', ended.closedAt), 10000,
      `a try after ${reason}`);
    assert.ok(next.at - ended.closedAt >= 1400, `tried again ${next.at - ended.closedAt} ms after goaway ${reason}`);
    await waitFor(() => c.proxy.heldStreams().some((s) => s.openedAt >= next.at), 10000, 'the new stream held');
    await c.settled(rev);
  }
});

scenario('a rejected config is recorded as failed with its reason; the next one applies', async (t, h, kind) => {
  const c = await setup(t, h, kind, { verifyCmd: `! grep -q '"reject":true' "$HENGE_CONFIG_PATH"` });
  const good = await c.write({ n: 1 });
  await c.settled(good);
  const bad = await c.write({ reject: true });
  const failed = await c.failed();
  assert.ok(failed.error.length > 0);
  if (hasHooks(kind)) assert.equal(c.client.config(), '{"n":1}', 'the file is left as it was');
  assert.ok(!c.client.applies().includes(bad));
  // henged resends it on every connect (the device's Last-Event-ID is older); the client
  // answers again from what it answered, without checking it again.
  const acks = () => c.proxy.acks.filter((a) => a.body?.revision === bad && a.status === 204).length;
  const before = acks();
  c.proxy.cutStreams();
  await waitFor(() => acks() > before, 10000, 'the rejection given again');
  assert.equal(c.client.checks().filter((r) => r === bad).length, 1, `checked ${JSON.stringify(c.client.checks())}`);
  const next = await c.write({ n: 2 });
  await c.settled(next);
});

scenario('a config event with a bad sha256 is not applied; the client asks again and applies the real one', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  const first = await c.write({ n: 1 });
  await c.settled(first);
  c.proxy.fault('frame', { corrupt: true });
  const second = await c.write({ n: 2 });
  await c.settled(second);
  assert.ok(c.proxy.configFrames().some((f) => f.corrupted && Number(f.id) === second), 'the corrupted event was sent');
  assert.ok(c.proxy.heldStreams().length >= 2, 'the client asked again');
  assert.deepEqual(c.client.applies(), [first, second]);
  await c.client.waitLog(/sha256/);
});

scenario('a config over the client\'s limit is rejected with an ack naming the limit, and the stream stays', async (t, h, kind) => {
  const c = await setup(t, h, kind, { maxConfigBytes: 2048 });
  const first = await c.write({ n: 1 });
  await c.settled(first);
  // Over the config limit but within the event's framing allowance, then far over it
  // (the event itself is skipped unread, and answered by its id).
  for (const size of [4096, 16384]) {
    const big = await c.write({ blob: 'x'.repeat(size) });
    const failed = await waitFor(async () => {
      const d = await c.device();
      return d.status === 'failed' && d.desired_revision === big ? d : undefined;
    }, 10000, `the ${size}-byte config rejected`);
    assert.match(failed.error, /2048/);
    assert.ok(c.proxy.acks.some((a) => a.body?.revision === big && a.body.status === 'rejected'));
  }
  const next = await c.write({ n: 2 });
  await c.settled(next);
  assert.equal(c.proxy.heldStreams().length, 1, 'no reconnect loop');
  await c.client.waitLog(/2048/);
});

scenario('a rotated token is read again from the token file', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  const first = await c.write({ n: 1 });
  await c.settled(first);
  const rotated = await h.post(`/v1/devices/${c.id}/token`, {});
  assert.equal(rotated.status, 200);
  await waitFor(() => c.proxy.requests.some((r) => r.path === '/v1/device/stream' && r.status === 401), 10000, 'a 401 for the old token');
  await c.client.waitLog(/401|refused/);
  c.client.writeToken(rotated.json.token);
  const second = await c.write({ n: 2 });
  await c.settled(second);
});

scenario('a cut stream is resumed with Last-Event-ID, and nothing runs twice', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  const first = await c.write({ n: 1 });
  await c.settled(first);
  c.proxy.fault('frame', { cutAfter: true });
  const second = await c.write({ n: 2 });
  await c.settled(second);
  await waitFor(() => c.proxy.heldStreams().length === 2, 10000, 'a reconnect after the cut');
  assert.equal(c.proxy.heldStreams()[1].lastEventId, String(second));
  const third = await c.write({ n: 3 });
  await c.settled(third);
  assert.deepEqual(c.client.applies(), [first, second, third]);
});

scenario('a stalled stream (3 keepalives of silence) is dropped and opened again', async (t, h, kind) => {
  const c = await setup(t, h, kind);
  const first = await c.write({ n: 1 });
  await c.settled(first);
  c.proxy.fault('frame', { stall: true });
  const second = await c.write({ n: 2 });
  await c.settled(second);
  const stalled = c.proxy.heldStreams()[0];
  await waitFor(() => c.proxy.heldStreams().length === 2, 10000, 'a new stream after the silence');
  const gap = c.proxy.heldStreams()[1].openedAt - stalled.stalledAt;
  assert.ok(gap >= 3 * KEEPALIVE * 1000 * 0.9, `reconnected ${gap} ms into the silence, before 3 keepalives`);
  const third = await c.write({ n: 3 });
  await c.settled(third);
});

scenario('only the first line of the token file is the token', async (t, h, kind) => {
  const c = await setup(t, h, kind, {}, { startClient: false });
  c.client.writeToken(c.token, 'a second line, not part of the token\n');
  c.client.start();
  await c.settled((await c.device()).desired_revision);
});

scenario('a token file missing at start is waited for', async (t, h, kind) => {
  const c = await setup(t, h, kind, {}, { token: false });
  await c.client.waitLog(/token/);
  assert.ok(c.client.running(), 'the client waits rather than exits');
  c.client.writeToken(c.token);
  await c.settled((await c.device()).desired_revision);
});

// What only clients with a file and commands must do.
const hookScenarios = [];
function hookScenario(name, fn) {
  hookScenarios.push({ name, fn });
}

hookScenario('a hung apply command times out, and is retried once its cause is gone', async (t, h, kind) => {
  const dir = tempDir('henge-hang-');
  const hang = join(dir, 'hang');
  writeFileSync(hang, '');
  const c = await setup(t, h, kind, { commandTimeout: 1, applyCmd: `while [ -e '${hang}' ]; do sleep 0.05; done` });
  const rev = (await c.device()).desired_revision;
  const failed = await c.failed();
  assert.match(failed.error, /timed out/);
  rmSync(hang);
  await c.settled(rev);
  assert.equal(c.proxy.heldStreams().length, 1, 'retried without a reconnect');
});

hookScenario('SIGTERM during a hung apply command stops the client at once; the next start applies the config', async (t, h, kind) => {
  const dir = tempDir('henge-hang-');
  const started = join(dir, 'started');
  const hang = join(dir, 'hang');
  writeFileSync(hang, '');
  const c = await setup(t, h, kind, {
    commandTimeout: 300, applyCmd: `touch '${started}'; while [ -e '${hang}' ]; do sleep 0.05; done`,
  });
  const rev = (await c.device()).desired_revision;
  await waitFor(() => existsSync(started), 10000, 'the hook to start');
  const at = Date.now();
  await c.client.stop(3000);
  assert.ok(Date.now() - at < 3000);
  assert.ok(!c.proxy.acks.some((a) => a.body?.revision === rev), 'a config stopped part-way is not acknowledged');
  rmSync(hang);
  c.client.start();
  await c.settled(rev);
  assert.deepEqual(c.client.applies(), [rev]);
});

hookScenario('a daemon started by a hook neither delays the ack nor holds the stream', async (t, h, kind) => {
  const dir = tempDir('henge-bg-');
  const pidFile = join(dir, 'pid');
  const c = await setup(t, h, kind, { commandTimeout: 30, applyCmd: `sleep 60 & echo $! > '${pidFile}'` });
  t.after(() => {
    try { process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
  });
  const rev = (await c.device()).desired_revision;
  await c.settled(rev, 5000);
  await c.client.stop();
  await waitFor(async () => !(await c.device()).connected, 5000, 'henged to see the device gone');
});

hookScenario('the apply command\'s output is in the rejection', async (t, h, kind) => {
  const c = await setup(t, h, kind, { applyCmd: 'echo "boom from the hook" >&2; exit 3' });
  const failed = await c.failed();
  assert.match(failed.error, /exit 3/);
  assert.match(failed.error, /boom from the hook/);
});

hookScenario('output that is not UTF-8 still reaches henged as the rejection', async (t, h, kind) => {
  const c = await setup(t, h, kind, { applyCmd: "printf 'bad \\377 bytes\\n' >&2; exit 4" });
  const failed = await c.failed();
  assert.match(failed.error, /exit 4/);
  assert.match(failed.error, /bad .* bytes/);
  // What the client kept of it is readable at the next start.
  await c.client.stop();
  c.client.start();
  await waitFor(() => c.proxy.heldStreams().length === 2, 10000, 'the client back after a restart');
  const next = await c.write({ n: 1 });
  await waitFor(async () => {
    const d = await c.device();
    return d.status === 'failed' && d.desired_revision === next;
  }, 10000, 'the next config rejected by the same command');
});

hookScenario('a full disk rejects the config; it applies once there is room', async (t, h, kind) => {
  const mnt = smallDisk(t, '8k');
  if (!mnt) return;
  const outputDir = join(mnt, 'out');
  mkdirSync(outputDir);
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(8192));
  const c = await setup(t, h, kind, { outputDir });
  const rev = await c.write({ blob: 'y'.repeat(3000) });
  const failed = await c.failed();
  assert.match(failed.error, /space/i);
  rmSync(join(mnt, 'filler'));
  await c.settled(rev);
});

hookScenario('a read-only output directory rejects the config; it applies once writable again', async (t, h, kind) => {
  const mnt = smallDisk(t, '64k');
  if (!mnt) return;
  execFileSync('mount', ['-o', 'remount,ro', mnt]);
  const c = await setup(t, h, kind, { outputDir: mnt });
  const rev = (await c.device()).desired_revision;
  const failed = await c.failed();
  assert.match(failed.error, /read-only/i);
  execFileSync('mount', ['-o', 'remount,rw', mnt]);
  await c.settled(rev);
});

hookScenario('a state directory that cannot be written does not fail the apply', async (t, h, kind) => {
  const mnt = smallDisk(t, '4k');
  if (!mnt) return;
  const stateDir = join(mnt, 'state');
  mkdirSync(stateDir);
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(4096));
  const c = await setup(t, h, kind, { stateDir });
  const rev = await c.write({ n: 1 });
  await c.settled(rev);
  await c.client.waitLog(/space/i);
});

// For the clients that answer in a program's callback (libhenge's example, the lwIP
// port): a passing failure (HENGE_RETRY, HC_RETRY) while a file exists.
const callbackScenarios = [
  ['a passing failure is tried again with backoff on the same stream, and applies once it passes', async (t, h, kind) => {
    const busy = join(tempDir('henge-retry-'), 'busy');
    writeFileSync(busy, '');
    const c = await setup(t, h, kind);
    const first = await c.write({ n: 1 });
    await c.settled(first);
    const rev = await c.write({ retry_while: busy });
    const failed = await c.failed();
    assert.match(failed.error, /waiting for/);
    const tries = () => (c.client.log.match(new RegExp(`^retry ${rev}$`, 'gm')) ?? []).length;
    await waitFor(() => tries() >= 2, 10000, 'a second try');
    rmSync(busy);
    await c.settled(rev);
    assert.equal(c.proxy.heldStreams().length, 1, 'retried without a reconnect');
    assert.deepEqual(c.client.applies(), [first, rev]);
  }],
];

const piScenarios = [
  ['the LED shows the config again after a restart', async (t, h, kind) => {
    const c = await setup(t, h, kind);
    const rev = await c.write({ led: { on: true } });
    await c.settled(rev);
    await waitFor(() => c.client.brightness() === '1', 5000, 'the LED on');
    await c.client.stop();
    c.client.setBrightness(0); // a reboot
    c.client.start();
    await waitFor(() => c.client.brightness() === '1', 5000, 'the LED restored at start');
  }],
  ['an LED that cannot be written rejects the config for now; it applies once it can', async (t, h, kind) => {
    const c = await setup(t, h, kind);
    const first = await c.write({ led: { on: false } });
    await c.settled(first);
    const brightness = join(c.client.led, 'brightness');
    rmSync(brightness);
    symlinkSync('/nonexistent-henge-led/brightness', brightness); // writing it now fails, as a missing LED driver would
    const rev = await c.write({ led: { on: true } });
    const failed = await c.failed();
    assert.match(failed.error, /brightness/);
    // Back in one step (a retry may come at any moment): a file renamed over the link.
    writeFileSync(`${brightness}.new`, '0\n');
    renameSync(`${brightness}.new`, brightness);
    await c.settled(rev);
    assert.equal(c.client.brightness(), '1');
  }],
];

test('device-client contract', { concurrency: true }, async (t) => {
  const h = await new Henged({ args: ['--keepalive', String(KEEPALIVE)] }).start();
  t.after(async () => {
    const { code, signal } = await h.stop();
    h.cleanup();
    assert.equal(code, 0, `henged exited with ${code ?? signal}:\n${h.stderr.slice(-4000)}`);
  });
  await Promise.all(clientKinds().map((kind) => t.test(kind, async (tk) => {
    const all = [...scenarios];
    if (hasHooks(kind)) all.push(...hookScenarios);
    else all.push(...callbackScenarios.map(([name, fn]) => ({ name, fn })));
    if (kind === 'pi') all.push(...piScenarios.map(([name, fn]) => ({ name, fn })));
    for (const s of all) await tk.test(s.name, (ts) => s.fn(ts, h, kind));
  })));
});

