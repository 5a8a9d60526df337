// henge-pi against a real henged: the config file written atomically, the applied
// revision remembered across restarts, the apply command run, and an LED (in a fake
// sysfs tree) that follows the config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const PI = process.env.HENGE_PI_BIN;
if (!PI) throw new Error('HENGE_PI_BIN must name henge-pi');
// HENGE_PI_RUNNER runs a cross-built henge-pi, e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu".
const RUNNER = (process.env.HENGE_PI_RUNNER ?? '').split(' ').filter(Boolean);
function spawnPi(args, options) {
  return RUNNER.length ? spawn(RUNNER[0], [...RUNNER.slice(1), PI, ...args], options) : spawn(PI, args, options);
}
const box = sharedHenged({ args: ['--keepalive', '0.3'] });

function fakeBoard() {
  const dir = tempDir('henge-pi-');
  const led = join(dir, 'sys', 'class', 'leds', 'ACT');
  mkdirSync(led, { recursive: true });
  writeFileSync(join(led, 'brightness'), '0\n');
  writeFileSync(join(led, 'max_brightness'), '255\n');
  writeFileSync(join(led, 'trigger'), 'none [mmc0] heartbeat\n');
  mkdirSync(join(dir, 'etc'));
  return {
    dir,
    brightness: () => readFileSync(join(led, 'brightness'), 'utf8').trim(),
    trigger: () => readFileSync(join(led, 'trigger'), 'utf8'),
  };
}

function startPi(h, board, token, extra = []) {
  writeFileSync(join(board.dir, 'token'), `${token}\n`, { mode: 0o600 });
  const proc = spawnPi(['--server', h.url, '--token-file', join(board.dir, 'token'),
    '--output', join(board.dir, 'etc', 'config.json'), '--state-dir', join(board.dir, 'state'),
    '--sysfs-root', join(board.dir, 'sys'), '--led', '/led/on=ACT', '--keepalive', '0.3', ...extra],
  { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const pi = { proc, log: '' };
  proc.stderr.on('data', (d) => (pi.log += d));
  pi.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  pi.stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const { code, signal } = await pi.exited;
    assert.equal(code, 0, `henge-pi exited with ${code ?? signal}:\n${pi.log}`);
  };
  return pi;
}

async function status(h, id) {
  return (await h.get(`/v1/devices/${id}`)).json;
}

test('henge-pi writes the config, runs the apply command and drives the LED', async (t) => {
  const { h } = box;
  const id = uniqueId('pi');
  const token = (await h.post('/v1/devices', { id })).json.token;
  const board = fakeBoard();
  const applied = join(board.dir, 'applied');
  const pi = startPi(h, board, token, ['--apply-cmd', `echo "$HENGE_REVISION $HENGE_CONFIG_PATH" > ${applied}`]);
  t.after(() => pi.stop());

  const on = await h.put(`/v1/devices/${id}/config`, { led: { on: true } });
  await waitFor(async () => (await status(h, id)).applied_revision === on.json.revision, 5000, 'applied');
  assert.equal(board.brightness(), '255');
  assert.ok(board.trigger().startsWith('none\n'), 'the kernel trigger was turned off');
  assert.equal(readFileSync(join(board.dir, 'etc', 'config.json'), 'utf8'), '{"led":{"on":true}}');
  assert.equal(readFileSync(applied, 'utf8'), `${on.json.revision} ${join(board.dir, 'etc', 'config.json')}\n`);
  assert.deepEqual(readdirSync(join(board.dir, 'etc')), ['config.json']);

  const off = await h.put(`/v1/devices/${id}/config`, { led: { on: false } });
  await waitFor(async () => (await status(h, id)).applied_revision === off.json.revision, 5000, 'applied');
  assert.equal(board.brightness(), '0');

  // A value the LED cannot show is rejected; the file and the LED stay as they were.
  const bad = await h.put(`/v1/devices/${id}/config`, { led: { on: 'bright' } });
  const s = await waitFor(async () => {
    const st = await status(h, id);
    return st.status === 'failed' ? st : null;
  }, 5000, 'failed');
  assert.equal(s.desired_revision, bad.json.revision);
  assert.match(s.error, /\/led\/on drives LED ACT/);
  assert.equal(board.brightness(), '0');
  assert.equal(readFileSync(join(board.dir, 'etc', 'config.json'), 'utf8'), '{"led":{"on":false}}');
});

test('henge-pi remembers the applied revision across restarts', async (t) => {
  const { h } = box;
  const id = uniqueId('pi');
  const token = (await h.post('/v1/devices', { id })).json.token;
  const board = fakeBoard();
  let pi = startPi(h, board, token);
  const w = await h.put(`/v1/devices/${id}/config`, { led: { on: true } });
  await waitFor(async () => (await status(h, id)).applied_revision === w.json.revision, 5000, 'applied');
  await pi.stop();
  assert.equal(readFileSync(join(board.dir, 'state', 'revision'), 'utf8'), `${w.json.revision}\n`);
  // What a crash between write and rename leaves behind is cleared at the next start.
  writeFileSync(join(board.dir, 'etc', 'config.json.henge-tmp-12345'), '{"partial');
  pi = startPi(h, board, token);
  t.after(() => pi.stop());
  await waitFor(() => pi.log.includes(`starting, applied revision ${w.json.revision}`), 5000, 'the saved revision');
  assert.deepEqual(readdirSync(join(board.dir, 'etc')), ['config.json']);
});

test('henge-pi refuses bad usage with one line and exit 2', async () => {
  const run = (args) => new Promise((resolve) => {
    const p = spawnPi(args, { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, err }));
  });
  let r = await run(['--server', 'http://127.0.0.1:1']);
  assert.equal(r.code, 2);
  assert.match(r.err, /usage: henge-pi/);
  r = await run(['--server', 'http://x', '--token-file', '/dev/null', '--output', '/tmp/x', '--keepalive', '5x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--keepalive must be a number from 0.05 to 3600: 5x/);
  r = await run(['--server', 'http://x', '--token-file', '/dev/null', '--output', '/tmp/x', '--backoff-base', '2',
    '--backoff-cap', '1']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--backoff-cap must not be below --backoff-base/);
  r = await run(['--server', 'http://x', '--token-file', '/dev/null', '--output', '/tmp/x', '--led', 'nope']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--led wants POINTER=NAME/);
});

test('henge-pi --help prints its usage on stdout and exits 0', async () => {
  const r = await new Promise((resolve) => {
    const p = spawnPi(['--help'], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^usage: henge-pi --server URL/);
  assert.equal(r.err, '');
});

test('GPIO: a bad value or a missing chip is a rejection with the reason; without libgpiod, --gpio is refused', async (t) => {
  const { h } = box;
  const version = await new Promise((resolve) => {
    const p = spawnPi(['--version'], { env: process.env });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
  });
  assert.equal(version.code, 0);
  const m = /^henge-pi \d+\.\d+\.\d+ \(libhenge \d+\.\d+\.\d+, gpio: (libgpiod|none)\)\n$/.exec(version.out);
  assert.ok(m, version.out);
  const id = uniqueId('pi');
  const token = (await h.post('/v1/devices', { id })).json.token;
  const board = fakeBoard();
  const pi = startPi(h, board, token, ['--gpio', '/relay/on=henge-test-no-such-chip:3']);
  if (m[1] === 'none') {
    const { code } = await pi.exited;
    assert.equal(code, 2);
    assert.match(pi.log, /built without GPIO support/);
    return;
  }
  t.after(() => pi.stop());
  const failedWith = async (pattern) => waitFor(async () => {
    const st = await status(h, id);
    return st.status === 'failed' && pattern.test(st.error ?? '');
  }, 5000, `failed with ${pattern}`);
  await h.put(`/v1/devices/${id}/config`, { relay: { on: 'yes' } });
  await failedWith(/\/relay\/on drives GPIO henge-test-no-such-chip:3: want true, false, 0 or 1/);
  await h.put(`/v1/devices/${id}/config`, { relay: { on: true } });
  await failedWith(/cannot drive GPIO henge-test-no-such-chip:3/);
});
