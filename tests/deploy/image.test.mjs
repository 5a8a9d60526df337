// The container images, built from deploy/docker/Dockerfile's own steps and run as a
// pod runs them (see image.mjs): henged serves from its data volume as an unprivileged
// user on a read-only root, the henge-agent image applies what it pushes, and a restart
// on the same volume (what a StatefulSet does) keeps everything, agents resuming with
// Last-Event-ID. Needs root (mount namespaces, chroot) and Debian's package mirror.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync, chownSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Henged, waitFor } from '../integration/harness.mjs';
import { freePort } from '../integration/replicas.mjs';
import { buildRootfs, imageConfig, parseDockerfile, runBuildStage, runImage, volumeDir, ROOT } from './image.mjs';

const run = promisify(execFile);
const ADMIN = 'image-test-admin-token';
const stages = parseDockerfile();
const images = {};
const cleanups = [];

before(async () => {
  const fromBuild = await runBuildStage(stages);
  for (const name of ['henged', 'henge-agent']) {
    const stage = stages.find((s) => s.name === name);
    images[name] = { stage, config: imageConfig(stage), rootfs: await buildRootfs(stages, name, fromBuild) };
  }
});
after(() => {
  for (const c of cleanups.reverse()) c();
});

// A running image: its process, its log, and a way to wait for a line.
function start(name, options) {
  const { rootfs, config } = images[name];
  const proc = runImage(rootfs, config, options);
  const p = { proc, log: '' };
  proc.stdout.on('data', (d) => (p.log += d));
  proc.stderr.on('data', (d) => (p.log += d));
  p.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  p.waitLog = async (pattern, ms = 20000) => {
    let ended = null;
    p.exited.then((e) => (ended = e));
    return waitFor(() => {
      const m = pattern.exec(p.log);
      if (m) return m;
      if (ended) throw new Error(`${name} exited (${JSON.stringify(ended)}):\n${p.log}`);
      return null;
    }, ms, `${name} to log ${pattern}`);
  };
  p.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return p.exited;
  };
  cleanups.push(() => proc.kill('SIGKILL'));
  return p;
}

// henged from its image on `port`, with its data volume in `dataDir`; settings come as
// environment variables, as a ConfigMap and a Secret give them.
async function startHenged(dataDir, port) {
  const p = start('henged', {
    volumes: { '/var/lib/henge': dataDir },
    env: { HENGE_LISTEN: `127.0.0.1:${port}`, HENGE_ADMIN_TOKEN: ADMIN, HENGE_DRAIN: '1' },
  });
  await p.waitLog(/"msg":"listening"/);
  const api = new Henged({ adminToken: ADMIN });
  api.url = `http://127.0.0.1:${port}`;
  p.api = api;
  return p;
}

// The henge-agent image for a new device of `henged` (`device`: the registration), with
// its token on its state volume, mode 0600 and owned by the image's user as a Secret
// volume would give it. Returns the agent and the path of the config file it writes.
async function startAgentImage(t, henged, device) {
  const added = await henged.api.post('/v1/devices', device);
  assert.equal(added.status, 201, added.text);
  const { config } = images['henge-agent'];
  const stateDir = await volumeDir(config);
  const [uid, gid] = config.user.split(':').map(Number);
  writeFileSync(join(stateDir, 'token'), `${added.json.token}\n`, { mode: 0o600 });
  chownSync(join(stateDir, 'token'), uid, gid);
  const agent = start('henge-agent', {
    volumes: { [config.volumes[0]]: stateDir },
    args: ['--server', henged.api.url, '--token-file', `${config.volumes[0]}/token`,
      '--output', `${config.volumes[0]}/config.json`, '--backoff-base', '0.05', '--backoff-cap', '1'],
  });
  t.after(async () => {
    await agent.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { agent, output: join(stateDir, 'config.json') };
}

function statusOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: /^Uid:\s+(\d+)/m.exec(status)[1], caps: /^CapEff:\s+(\w+)/m.exec(status)[1] };
}

// The mount options of "/" as the process sees it.
function rootMountOptions(pid) {
  const line = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter((l) => l.split(' ')[4] === '/').at(-1);
  return line.split(' ')[5].split(',');
}

test('the Dockerfile: henged is the default target, every runtime stage runs unprivileged from debian:12-slim', () => {
  assert.deepEqual(stages.map((s) => s.name), ['build', 'henge-agent', 'henged']);
  assert.equal(stages[0].from, 'debian:12');
  for (const name of ['henge-agent', 'henged']) {
    const { stage, config } = images[name];
    assert.equal(stage.from, 'debian:12-slim');
    assert.notEqual(config.user.split(':')[0], '0', `${name} must not run as root`);
    assert.deepEqual(config.entrypoint, [`/usr/bin/${name}`]);
    assert.equal(config.volumes.length, 1);
  }
  assert.deepEqual(images.henged.config.ports, ['8080']);
  assert.equal(images.henged.config.env.HENGE_DATA_DIR, images.henged.config.volumes[0]);
  assert.equal(images['henge-agent'].config.env.HENGE_STATE_DIR, images['henge-agent'].config.volumes[0]);
});

// The package that installed `lib` in `rootfs`; with merged /usr, dpkg may know the
// file under /lib or /usr/lib whichever the loader named.
async function ownerOf(rootfs, lib) {
  const bare = lib.replace(/^\/usr\//, '/');
  for (const path of [bare, `/usr${bare}`]) {
    try {
      const { stdout } = await run('chroot', [rootfs, 'dpkg', '-S', path]);
      return stdout.split(':')[0];
    } catch {
      // not under this name
    }
  }
  throw new Error(`no package in the image owns ${lib}`);
}

// Only what the binaries link: every library they need resolves in the image, and every
// package the setup script installs (CA certificates aside) provides one of them.
test('each runtime image holds stripped programs and exactly the shared libraries they need', async () => {
  const setup = readFileSync(join(ROOT, 'deploy', 'docker', 'runtime-setup.sh'), 'utf8');
  const programs = { henged: ['/usr/bin/henged', '/usr/bin/henge'], 'henge-agent': ['/usr/bin/henge-agent'] };
  for (const [name, binaries] of Object.entries(programs)) {
    const { rootfs } = images[name];
    const owners = new Set();
    for (const bin of binaries) {
      const { stdout: sections } = await run('readelf', ['-S', '-W', join(rootfs, bin)]);
      assert.doesNotMatch(sections, /\.debug_info/, `${name}: ${bin} is stripped`);
      const { stdout } = await run('chroot', [rootfs, '/usr/bin/ldd', bin]);
      assert.doesNotMatch(stdout, /not found/, `${name}: ${bin} is missing a library:\n${stdout}`);
      for (const [, lib] of stdout.matchAll(/=> (\/\S+)/g)) {
        owners.add(await ownerOf(rootfs, lib));
      }
    }
    const listed = new RegExp(`${name}\\)\\n(?:\\s*#.*\\n)*\\s*packages="([^"]+)"`).exec(setup);
    assert.ok(listed, `runtime-setup.sh has no package list for ${name}`);
    for (const pkg of listed[1].split(/\s+/)) {
      assert.ok(owners.has(pkg), `${name}: ${pkg} is installed but provides no library its programs load`);
    }
  }
});

test('henged from its image: unprivileged, read-only root, data on its volume; the agent image applies its pushes', async (t) => {
  const dataDir = await volumeDir(images.henged.config);
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const henged = await startHenged(dataDir, port);
  t.after(() => henged.stop());

  const { uid, caps } = statusOf(henged.proc.pid);
  assert.equal(uid, '10001');
  assert.equal(BigInt(`0x${caps}`), 0n, 'no effective capabilities');
  assert.ok(rootMountOptions(henged.proc.pid).includes('ro'), 'the root filesystem is read-only');
  assert.equal((await henged.api.get('/readyz')).status, 200);
  assert.equal(statSync(join(dataDir, 'henge.db')).uid, 10001, 'the database lives on the data volume');

  const { agent, output } = await startAgentImage(t, henged, { id: 'pi-image' });
  const w = await henged.api.put('/v1/devices/pi-image/config', { led: { on: true } });
  assert.equal(w.status, 200, w.text);
  await waitFor(() => existsSync(output) && readFileSync(output, 'utf8') === '{"led":{"on":true}}', 5000,
    'the agent image to apply it');
  assert.equal(statusOf(agent.proc.pid).uid, '10001');
  await waitFor(async () => (await henged.api.get('/v1/devices/pi-image')).json.status === 'in_sync', 5000, 'in_sync');

  const stopped = await agent.stop();
  assert.equal(stopped.code, 0, agent.log);
  const exited = await henged.stop();
  assert.equal(exited.code, 0, henged.log);
});

test('single node: henged restarted on the same volume keeps everything; agents resume with Last-Event-ID and converge', async (t) => {
  const dataDir = await volumeDir(images.henged.config);
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  let henged = await startHenged(dataDir, port);
  t.after(() => henged.stop());
  assert.equal((await henged.api.put('/v1/groups/site', { config: {} })).status, 201);

  const agents = [];
  for (let i = 0; i < 4; ++i) agents.push(await startAgentImage(t, henged, { id: `pi-${i}`, groups: ['site'] }));
  const applied = (text) => agents.every(({ output }) => existsSync(output) && readFileSync(output, 'utf8') === text);

  const first = await henged.api.put('/v1/groups/site/config', { wave: 1 });
  assert.equal(first.status, 200, first.text);
  await waitFor(() => applied('{"wave":1}'), 10000, 'every agent to apply wave 1');
  const revision = first.json.revision;

  // What the StatefulSet does on an update: SIGTERM, wait for the exit, start the new pod
  // on the same volume.
  assert.equal((await henged.stop()).code, 0, henged.log);
  henged = await startHenged(dataDir, port);
  for (const { agent } of agents) {
    await agent.waitLog(new RegExp(`stream connected last_event_id=${revision}`));
  }
  const devices = (await henged.api.get('/v1/devices?group=site')).json.items;
  assert.equal(devices.length, 4, 'the devices survived the restart');
  assert.ok((await henged.api.get('/v1/devices/pi-0/history')).json.items.some((r) => r.revision === revision));

  const second = await henged.api.put('/v1/groups/site/config', { wave: 2 });
  assert.equal(second.status, 200, second.text);
  await waitFor(() => applied('{"wave":2}'), 10000, 'every agent to apply wave 2');
  await waitFor(async () => (await henged.api.get('/v1/devices?group=site&status=in_sync')).json.items.length === 4,
    10000, 'every device in sync');
  for (const { agent } of agents) assert.equal((await agent.stop()).code, 0, agent.log);
});
