// Builds and runs henge's container images without a container engine, from the
// Dockerfile itself: the build stage's steps run in the checkout (the build stage is the
// checkout: `WORKDIR /src` + `COPY . .`), each runtime stage becomes a root filesystem
// made by mmdebstrap (debian:12-slim is Debian 12's minbase variant) with its RUN steps
// run in a chroot and its COPY steps copied in, and the image runs as Kubernetes runs it:
// its entrypoint, its environment, its user, a read-only root with the declared volumes
// and /tmp writable.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DOCKERFILE = join(ROOT, 'deploy', 'docker', 'Dockerfile');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// The Dockerfile as stages: { name, from, steps: [{ op, args, raw }] }.
export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')) {
  const lines = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (!pending && /^\s*(#|$)/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  const stages = [];
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile: cannot read "${line}"`);
    const op = m[1].toUpperCase();
    const args = m[2].trim();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ name: f[2] ?? String(stages.length), from: f[1], steps: [] });
    } else {
      if (!stages.length) throw new Error(`Dockerfile: ${op} before FROM`);
      stages.at(-1).steps.push({ op, args, raw: line });
    }
  }
  return stages;
}

// What a stage's image carries besides its files: entrypoint, env, user, volumes, ports.
export function imageConfig(stage) {
  const config = { entrypoint: [], cmd: [], env: {}, user: '0:0', volumes: [], ports: [] };
  for (const { op, args } of stage.steps) {
    if (op === 'ENTRYPOINT') config.entrypoint = JSON.parse(args);
    else if (op === 'CMD') config.cmd = JSON.parse(args);
    else if (op === 'USER') config.user = args;
    else if (op === 'VOLUME') config.volumes.push(...(args.startsWith('[') ? JSON.parse(args) : args.split(/\s+/)));
    else if (op === 'EXPOSE') config.ports.push(...args.split(/\s+/));
    else if (op === 'ENV') {
      for (const pair of args.split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new Error(`Dockerfile: ENV needs KEY=VALUE pairs: ${args}`);
        config.env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
  }
  return config;
}

// Runs the build stage's steps in the checkout. Returns how a path in the build stage
// maps to a path here.
export async function runBuildStage(stages) {
  const build = stages.find((s) => s.name === 'build');
  const [workdir, copy, ...runs] = build.steps;
  if (workdir.raw.trim() !== 'WORKDIR /src' || copy.raw.trim() !== 'COPY . .' || runs.some((s) => s.op !== 'RUN')) {
    throw new Error('the build stage must be WORKDIR /src, COPY . . and RUN steps: the suite runs it in the checkout');
  }
  for (const step of runs) await run('/bin/sh', ['-c', step.args], { cwd: ROOT, maxBuffer: 64 << 20 });
  return (path) => {
    if (!path.startsWith('/src/')) throw new Error(`COPY --from=build of ${path}: not under /src`);
    return join(ROOT, path.slice('/src/'.length));
  };
}

// The files a COPY step takes, as paths here.
function copySources(step, fromBuild) {
  const words = step.args.split(/\s+/);
  const from = words[0].startsWith('--from=') ? words.shift().slice('--from='.length) : null;
  const dest = words.pop();
  if (from !== null && from !== 'build') throw new Error(`COPY --from=${from}: only the build stage is known`);
  return { dest, sources: words.map((w) => (from ? fromBuild(w) : join(ROOT, w))) };
}

// Makes (or reuses, when nothing it is made of changed) the root filesystem of `stageName`
// under build/image-<stage>.
export async function buildRootfs(stages, stageName, fromBuild) {
  const stage = stages.find((s) => s.name === stageName);
  if (stage.from !== 'debian:12-slim') throw new Error(`stage ${stageName}: only debian:12-slim is known`);
  const dir = join(ROOT, 'build', `image-${stageName}`);
  const hash = createHash('sha256').update(stage.from);
  const hooks = [];
  for (const step of stage.steps) {
    hash.update(step.raw);
    if (step.op === 'COPY') {
      const { dest, sources } = copySources(step, fromBuild);
      for (const src of sources) hash.update(readFileSync(src));
      const target = `"$1${dest}"`;
      hooks.push(`mkdir -p "$(dirname ${target})" && cp --preserve=mode ${sources.map((s) => `'${s}'`).join(' ')} ${target}`);
    } else if (step.op === 'RUN') {
      hooks.push(`chroot "$1" /usr/bin/env -i PATH=${PATH} /bin/sh -c '${step.args.replaceAll("'", "'\\''")}'`);
    } else if (!['USER', 'ENV', 'VOLUME', 'EXPOSE', 'ENTRYPOINT', 'CMD'].includes(step.op)) {
      throw new Error(`stage ${stageName}: ${step.op} is not supported here`);
    }
  }
  const digest = hash.digest('hex');
  const stamp = join(dir, '.henge-image');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return dir;

  rmSync(dir, { recursive: true, force: true });
  const scripts = mkdtempSync(join(tmpdir(), 'henge-image-'));
  try {
    const hookArgs = hooks.map((body, i) => {
      const file = join(scripts, `step${i}.sh`);
      writeFileSync(file, `set -e\n${body}\n`);
      return `--customize-hook=sh ${file} "$1"`;
    });
    await run('mmdebstrap', ['--quiet', '--variant=minbase', ...hookArgs, 'bookworm', dir,
      'http://deb.debian.org/debian'], { maxBuffer: 64 << 20 });
  } finally {
    rmSync(scripts, { recursive: true, force: true });
  }
  writeFileSync(stamp, digest);
  return dir;
}

// The home directory /etc/passwd gives the image's user, as a container runtime sets HOME.
function homeOf(rootfs, uid) {
  for (const line of readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[2] === uid) return f[5];
  }
  return '/';
}

// Runs the image in `rootfs` as a container would: a private mount namespace with the
// root read-only, each volume bound from `volumes[path]` (a host directory, required
// for every declared volume), a fresh /tmp, the image's user, environment and
// entrypoint. The process is the program itself (no wrapper stays between), so signals
// reach it as they would in a pod.
export function runImage(rootfs, config, { volumes = {}, env = {}, args = [] } = {}) {
  const mounts = [`mount --bind '${rootfs}' '${rootfs}'`, `mount -o remount,bind,ro '${rootfs}'`,
    `mount -t tmpfs -o mode=1777 tmpfs '${rootfs}/tmp'`, `mount -t proc proc '${rootfs}/proc'`];
  for (const path of config.volumes) {
    if (!volumes[path]) throw new Error(`the image declares volume ${path}: give it a directory`);
    mounts.push(`mount --bind '${volumes[path]}' '${rootfs}${path}'`);
  }
  const [uid] = config.user.split(':');
  const environment = { PATH, HOME: homeOf(rootfs, uid), ...config.env, ...env };
  const argv = [...config.entrypoint, ...(args.length ? args : config.cmd)];
  const script = `set -e; ${mounts.join('; ')}; exec chroot --userspec='${config.user}' '${rootfs}' "$@"`;
  return spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'image',
    '/usr/bin/env', '-i', ...Object.entries(environment).map(([k, v]) => `${k}=${v}`), ...argv],
  { stdio: ['ignore', 'pipe', 'pipe'] });
}

// A host directory for a volume, owned by the image's user as Kubernetes' fsGroup makes it.
export function volumeDir(config) {
  const dir = mkdtempSync(join(tmpdir(), 'henge-volume-'));
  const [uid, gid] = config.user.split(':').map(Number);
  mkdirSync(dir, { recursive: true });
  return run('chown', [`${uid}:${gid ?? uid}`, dir]).then(() => dir);
}
