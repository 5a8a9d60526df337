// What the fleet benchmarks share: a release henged started with the limits that would
// throttle a benchmark's operator turned off, devices registered in bulk with their
// tokens in a file henge-loadgen reads, and what /proc says about a process.

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ADMIN, freePort, request } from './lib.mjs';

export async function startHenged(bin, { dir, port, args = [] }) {
  port = port ?? (await freePort());
  const proc = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--admin-token', ADMIN,
    '--log-level', 'warn', '--drain', '1', '--operator-rate', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => (log = (log + d).slice(-20000)));
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  const deadline = performance.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`henged exited: ${log}`);
    if (await request(port, 'GET', '/healthz').then((r) => r.status === 200, () => false)) break;
    if (performance.now() > deadline) throw new Error(`henged did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, port, address: `127.0.0.1:${port}`, exited, log: () => log };
}

// Stops henged (SIGTERM: it drains its streams) and starts it again on the same data
// directory and port.
export async function restartHenged(bin, h, dir, args = []) {
  h.proc.kill('SIGTERM');
  await h.exited;
  return startHenged(bin, { dir, port: h.port, args });
}

// Registers `count` devices named `${prefix}-${i}` in `groups`, 10,000 a request, and
// writes their tokens to `file` as id,token lines. Returns the file.
export async function registerFleet(port, { prefix, count, groups, file }) {
  const lines = ['id,token'];
  for (let first = 0; first < count; first += 10000) {
    const devices = [];
    for (let i = first; i < Math.min(count, first + 10000); i++) devices.push({ id: `${prefix}-${i}`, groups });
    const r = await request(port, 'POST', '/v1/devices:batch', { devices });
    if (r.status !== 201) throw new Error(`registering devices: ${r.status} ${JSON.stringify(r.json)}`);
    for (const d of r.json.devices) lines.push(`${d.id},${d.token}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

// User plus system CPU seconds the process has used.
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ = 100)
}

export function machine() {
  const read = (p) => { try { return readFileSync(p, 'utf8').trim(); } catch { return '?'; } };
  const limits = read('/proc/self/limits').split('\n').find((l) => l.startsWith('Max open files'))?.split(/\s{2,}/);
  return [
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `kernel: ${read('/proc/sys/kernel/osrelease')}; open files: soft ${limits?.[1]}, hard ${limits?.[2]}`,
    `ports: ${read('/proc/sys/net/ipv4/ip_local_port_range').replace(/\s+/, '-')}; somaxconn ${read('/proc/sys/net/core/somaxconn')}; ` +
      `tcp_max_syn_backlog ${read('/proc/sys/net/ipv4/tcp_max_syn_backlog')}; file-max ${read('/proc/sys/fs/file-max')}`,
  ].join('\n');
}

// Splits `count` streams over processes of at most `perProcess`, each from its own
// loopback source address (127.0.0.2, .3, …).
export function shares(count, perProcess, firstSource = 2) {
  const out = [];
  for (let first = 0, k = 0; first < count; first += perProcess, k++) {
    out.push({ first, count: Math.min(perProcess, count - first), sources: [`127.0.0.${firstSource + k}`] });
  }
  return out;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export { ADMIN, join };
