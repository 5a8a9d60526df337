// henge-agent against a real henged: converging, surviving henged's death, rejecting
// what its verify command refuses, never leaving a partial file, and scaling to a
// group of agents.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { Henged, LED_SCHEMA, tempDir, waitFor } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';
import { Agent, cliFor } from './clients.mjs';

const box = sharedHenged({ args: ['--keepalive', '0.3'] });

async function device(h, extra = {}) {
  const id = uniqueId('agent');
  const r = await h.post('/v1/devices', { id, ...extra });
  assert.equal(r.status, 201, r.text);
  return { id, token: r.json.token };
}

async function deviceState(h, id) {
  return (await h.get(`/v1/devices/${id}`)).json;
}

// Starts an agent for a new device and waits until its first config is applied.
async function startedAgent(t, h, { extra = {}, args = [], env = {} } = {}) {
  const d = await device(h, extra);
  const agent = new Agent({ server: h.url, token: d.token, args: ['--keepalive', '0.3', ...args], env }).start();
  t.after(() => agent.stop());
  await agent.waitLog(/applied revision=/);
  return { ...d, agent };
}

// How fast a push lands is bench/push_bench.mjs's to measure: under a sanitizer on a busy
// machine, a deadline of a second here would time the machine, not the push.
test('a value set with the CLI, then with curl, is in the agent\'s file and in_sync', async (t) => {
  const { h } = box;
  const { id, agent } = await startedAgent(t, h);
  const cli = cliFor(h);

  await cli.ok(['config', 'set', id, 'led.on=true', 'name=kitchen']);
  await waitFor(async () => {
    const file = agent.config();
    return file && JSON.parse(file).led?.on === true && (await deviceState(h, id)).status === 'in_sync';
  }, 10000, 'the CLI\'s value applied and in_sync');
  assert.deepEqual(JSON.parse(agent.config()), { led: { on: true }, name: 'kitchen' });

  // --wait returns once the agent has applied the write.
  const r = await cli.ok(['config', 'set', id, 'name=porch', '--wait']);
  const [, revision] = /^revision (\d+)\n/.exec(r.stdout);
  assert.equal(r.stdout, `revision ${revision}\n${id} applied revision ${revision}\n`);
  assert.equal(JSON.parse(agent.config()).name, 'porch');

  execFileSync('curl', ['-sf', '-X', 'PUT', '-H', `Authorization: Bearer ${h.adminToken}`,
    '-H', 'Content-Type: application/json', '--data', '"hall"', `${h.url}/v1/devices/${id}/config/name`]);
  await waitFor(async () => JSON.parse(agent.config() ?? '{}').name === 'hall' &&
    (await deviceState(h, id)).status === 'in_sync', 10000, 'curl\'s value applied and in_sync');

  // The file holds the config's bytes exactly as sent: its hash is the device's desired sha256.
  const state = await deviceState(h, id);
  assert.equal(createHash('sha256').update(readFileSync(agent.output)).digest('hex'), state.desired_sha256);
  assert.equal(state.applied_revision, state.desired_revision);
  await agent.waitLog(/applied revision=\d+ sha256=[0-9a-f]{64} changed=\/name/);
});

test('the agent reports its version, hostname and uptime when it connects', async (t) => {
  const { h } = box;
  const { id } = await startedAgent(t, h);
  const state = await waitFor(async () => {
    const s = await deviceState(h, id);
    return s.reported ? s : null;
  }, 5000, 'a report');
  assert.match(state.reported.agent, /^henge-agent\/\d+\.\d+\.\d+$/);
  assert.equal(typeof state.reported.hostname, 'string');
  assert.ok(state.reported.hostname.length > 0);
  assert.ok(Number.isInteger(state.reported.uptime_s) && state.reported.uptime_s > 0);
});

test('the apply command runs after the rename with HENGE_REVISION and HENGE_CONFIG_PATH', async (t) => {
  const { h } = box;
  const seen = join(tempDir(), 'seen');
  const { id, agent } = await startedAgent(t, h, {
    args: ['--apply-cmd', `echo "$HENGE_REVISION $HENGE_CONFIG_PATH $(cat "$HENGE_CONFIG_PATH")" > ${seen}`],
  });
  const w = await h.put(`/v1/devices/${id}/config`, { level: 3 });
  await waitFor(() => {
    try { return readFileSync(seen, 'utf8') === `${w.json.revision} ${agent.output} {"level":3}\n`; } catch { return false; }
  }, 5000, 'the apply command to see the new file');
});

test('a failing verify command rejects the config: status failed with its output, file untouched', async (t) => {
  const { h } = box;
  const { id, agent } = await startedAgent(t, h, {
    args: ['--verify-cmd', 'if grep -q forbidden "$HENGE_CONFIG_PATH"; then echo "forbidden value"; exit 3; fi'],
  });
  await h.put(`/v1/devices/${id}/config`, { mode: 'fine' });
  await waitFor(async () => (await deviceState(h, id)).status === 'in_sync' &&
    agent.config() === '{"mode":"fine"}', 5000, 'the good config');

  const w = await h.put(`/v1/devices/${id}/config`, { mode: 'forbidden' });
  const state = await waitFor(async () => {
    const s = await deviceState(h, id);
    return s.status === 'failed' ? s : null;
  }, 5000, 'status failed');
  assert.equal(state.error, 'verify command failed: exit 3: forbidden value');
  const waited = await cliFor(h)(['config', 'set', id, 'mode=forbidden!', '--wait']);
  assert.equal(waited.code, 1);
  assert.match(waited.stderr, new RegExp(`^henge: ${id} rejected revision \\d+: verify command failed: exit 3`));
  assert.equal(state.desired_revision, w.json.revision);
  assert.equal(agent.config(), '{"mode":"fine"}');
  assert.deepEqual(readdirSync(join(agent.dir, 'out')), ['config.json']);  // the staged file is gone
  await agent.waitLog(`rejected revision=${w.json.revision}`);

  // Fixing the value converges again.
  await h.put(`/v1/devices/${id}/config`, { mode: 'fine again' });
  await waitFor(async () => (await deviceState(h, id)).status === 'in_sync', 5000, 'in_sync after the fix');
  assert.equal(agent.config(), '{"mode":"fine again"}');
});

for (const point of ['half_written', 'staged']) {
  test(`an agent killed at "${point}" leaves the old file whole, and converges after restart`, async (t) => {
    const { h } = box;
    const { id, agent } = await startedAgent(t, h);
    await h.put(`/v1/devices/${id}/config`, { version: 'old', pad: 'x'.repeat(10000) });
    await waitFor(() => JSON.parse(agent.config()).version === 'old', 5000, 'the old config');
    const old = agent.config();
    await agent.stop();

    // Restarted with the fault armed: the next write kills it at that point.
    agent.start({ env: { HENGE_AGENT_FAULT: point } });
    await agent.waitLog('stream connected');
    await h.put(`/v1/devices/${id}/config`, { version: 'new', pad: 'y'.repeat(10000) });
    const { signal } = await agent.exited;
    assert.equal(signal, 'SIGKILL');
    assert.equal(agent.config(), old, 'the output file is the old config, whole');
    assert.equal(readdirSync(join(agent.dir, 'out')).length, 2, 'the staged file was left by the crash');

    agent.start();
    await waitFor(async () => (await deviceState(h, id)).status === 'in_sync', 5000, 'in_sync after restart');
    assert.equal(JSON.parse(agent.config()).version, 'new');
    assert.deepEqual(readdirSync(join(agent.dir, 'out')), ['config.json'], 'the leftover was removed');
  });
}

test('kill -9 henged: the agent backs off, reconnects to the restarted henged and converges', async (t) => {
  const first = await new Henged().start();
  let second;
  t.after(async () => {
    await first.kill9();
    if (second) await second.stop();
    first.cleanup();
  });
  const d = await device(first);
  const agent = new Agent({ server: first.url, token: d.token }).start();
  t.after(() => agent.stop());
  await agent.waitLog(/applied revision=/);
  const before = await waitFor(async () => {
    const s = (await first.get(`/v1/devices/${d.id}`)).json;
    return s.status === 'in_sync' ? s.applied_revision : null;
  }, 5000, 'in_sync before the kill');

  await first.kill9();
  await agent.waitLog('cannot reach the server');  // it noticed, and is retrying with backoff
  second = await new Henged({ dataDir: first.dataDir, listen: first.address }).start();
  const w = await second.put(`/v1/devices/${d.id}/config`, { after: 'restart' });
  assert.equal(w.status, 200);
  await waitFor(async () => {
    const s = (await second.get(`/v1/devices/${d.id}`)).json;
    return s.status === 'in_sync' && s.applied_revision === w.json.revision;
  }, 10000, 'the agent to converge on the restarted henged');
  assert.deepEqual(JSON.parse(agent.config()), { after: 'restart' });
  await agent.waitLog(`stream connected last_event_id=${before}`);  // it resumed from what it had
});

test('a restarted agent resumes from its persisted revision', async (t) => {
  const { h } = box;
  const { id, agent } = await startedAgent(t, h);
  const w = await h.put(`/v1/devices/${id}/config`, { kept: true });
  await waitFor(async () => (await deviceState(h, id)).applied_revision === w.json.revision, 5000, 'applied');
  const state = JSON.parse(readFileSync(join(agent.stateDir, 'state.json'), 'utf8'));
  assert.equal(state.revision, w.json.revision);
  await agent.stop();
  agent.start();
  await agent.waitLog(`stream connected last_event_id=${w.json.revision}`);
});

test('a silent server (3 keepalives missed) is a dead connection: the agent reconnects', async (t) => {
  const h = await new Henged({ args: ['--keepalive', '0.2'] }).start();
  t.after(async () => {
    h.proc.kill('SIGCONT');
    await h.stop();
    h.cleanup();
  });
  const d = await device(h);
  const agent = new Agent({ server: h.url, token: d.token, args: ['--keepalive', '0.2'] }).start();
  t.after(() => agent.stop());
  // In sync means the ack is through: freezing henged mid-ack would test the ack's timeout instead.
  await waitFor(async () => (await deviceState(h, d.id)).status === 'in_sync', 10000, 'in_sync');
  h.proc.kill('SIGSTOP');
  await agent.waitLog('no data from the server for 3 keepalive intervals', 10000);
  h.proc.kill('SIGCONT');
  const w = await h.put(`/v1/devices/${d.id}/config`, { alive: true });
  await waitFor(async () => (await deviceState(h, d.id)).applied_revision === w.json.revision, 10000,
    'the reconnected agent to apply');
});

test('a refused token gets one clear error line and the long backoff, not a hot loop', async (t) => {
  const { h } = box;
  const agent = new Agent({ server: h.url, token: 'hdt_not-a-real-token', args: ['--log-level', 'debug'] });
  agent.args.push('--backoff-cap', '30');
  agent.start();
  t.after(() => agent.stop());
  await agent.waitLog(/the server refused the device token \(401/);
  await agent.waitLog('reconnecting in="30.0 s"');
  assert.equal(agent.log.match(/refused the device token/g).length, 1);
});

test('the agent takes its settings from a settings file', async (t) => {
  const { h } = box;
  const d = await device(h);
  const agent = new Agent({ server: h.url, token: d.token, settingsFile: true }).start();
  t.after(() => agent.stop());
  const w = await h.put(`/v1/devices/${d.id}/config`, { from: 'settings file' });
  await waitFor(async () => (await deviceState(h, d.id)).applied_revision === w.json.revision, 5000, 'applied');
  assert.deepEqual(JSON.parse(agent.config()), { from: 'settings file' });
});

test('bad settings end the agent with a one-line error and a non-zero exit', async () => {
  const run = (args) => new Promise((resolve) => {
    execFile(process.env.HENGE_AGENT_BIN, args, { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } },
      (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stderr }));
  });
  const dir = tempDir();
  writeFileSync(join(dir, 'token'), 'x');
  const base = ['--token-file', join(dir, 'token'), '--state-dir', join(dir, 'state')];
  let r = await run(['--server', 'ftp://x', '--output', join(dir, 'o.json'), ...base]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /scheme must be http or https/);
  r = await run(['--server', 'http://127.0.0.1:1', '--output', join(dir, 'missing', 'o.json'), ...base]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /does not exist/);
  mkdirSync(join(dir, 'state'));
  writeFileSync(join(dir, 'state', 'state.json'), 'garbage');
  r = await run(['--server', 'http://127.0.0.1:1', '--output', join(dir, 'o.json'), ...base]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /state.json is damaged/);
  r = await run(['--output', join(dir, 'o.json'), ...base]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--server is required/);
});

test('50 agents on one henged: one group write reaches all of them', async (t) => {
  const { h } = box;
  const group = uniqueId('g');
  assert.equal((await h.put(`/v1/groups/${group}`, { config: {} })).status, 201);
  const agents = [];
  t.after(() => Promise.all(agents.map((a) => a.stop())));
  const devices = [];
  for (let i = 0; i < 50; i++) devices.push(await device(h, { groups: [group] }));
  for (const d of devices) agents.push(new Agent({ server: h.url, token: d.token }).start());
  await Promise.all(agents.map((a) => a.waitLog(/applied revision=/, 60000)));

  const w = await h.put(`/v1/groups/${group}/config`, { fleet: { wave: 1 } });
  assert.equal(w.status, 200);
  await waitFor(() => agents.every((a) => a.config() === '{"fleet":{"wave":1}}'), 20000, 'every agent to have it');
  await waitFor(async () => {
    const list = (await h.get(`/v1/devices?group=${group}&status=in_sync&limit=100`)).json;
    return list.items.length === 50;
  }, 20000, 'all 50 in_sync');
});

test('https: the agent verifies the server against --ca-file, and refuses an unknown CA', async (t) => {
  const { h } = box;
  const dir = tempDir();
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  // A TLS terminator in front of henged, as a load balancer or ingress would be.
  const [hostPart, portPart] = h.address.split(':');
  const sockets = new Set();
  const proxy = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    const upstream = net.connect(Number(portPart), hostPart);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxy.on('tlsClientError', () => {});  // the untrusting agent hangs up mid-handshake, as it should
  t.after(() => new Promise((resolve) => {
    proxy.close(resolve);
    for (const s of sockets) s.destroy();  // hooks run in order: the agents may still be connected
  }));
  const url = `https://127.0.0.1:${proxy.address().port}`;

  const trusted = await device(h);
  const good = new Agent({ server: url, token: trusted.token, args: ['--ca-file', cert] }).start();
  t.after(() => good.stop());
  const w = await h.put(`/v1/devices/${trusted.id}/config`, { secure: true });
  await waitFor(async () => (await deviceState(h, trusted.id)).applied_revision === w.json.revision, 10000,
    'the agent over https to apply');

  const other = await device(h);
  const bad = new Agent({ server: url, token: other.token }).start();
  t.after(() => bad.stop());
  await bad.waitLog(/TLS handshake with 127\.0\.0\.1:\d+: certificate verify failed/);
});
