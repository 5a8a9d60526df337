// Runs libhenge's example client (clients/c/examples/print_configs.c), or henge-pi
// (`pi: true`, with a fake LED tree), as a real process, optionally under valgrind
// (VALGRIND names the binary).

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { tempDir, waitFor } from './harness.mjs';

export const EXAMPLE = process.env.HENGE_C_EXAMPLE_BIN;
if (!EXAMPLE) throw new Error('HENGE_C_EXAMPLE_BIN must name libhenge\'s print_configs example');
const PI = process.env.HENGE_PI_BIN;

export class CExample {
  // `binary` runs another program with the example's arguments and output (the lwIP
  // port's host build, henge-lwip-host).
  constructor({ server, token, valgrind = process.env.VALGRIND, pi = false, binary = EXAMPLE, env = {} }) {
    this.server = server;
    this.binary = binary;
    this.env = env;
    this.dir = tempDir('henge-c-');
    this.tokenFile = join(this.dir, 'token');
    this.pi = pi;
    if (pi && !PI) throw new Error('HENGE_PI_BIN must name henge-pi');
    writeFileSync(this.tokenFile, `${token}\n`, { mode: 0o600 });
    this.valgrind = valgrind;
    this.out = '';
    this.err = '';
  }

  piArgs() {
    const led = join(this.dir, 'sys', 'class', 'leds', 'ACT');
    mkdirSync(led, { recursive: true });
    writeFileSync(join(led, 'brightness'), '0\n');
    writeFileSync(join(led, 'max_brightness'), '1\n');
    return ['--server', this.server, '--token-file', this.tokenFile, '--output', join(this.dir, 'config.json'),
      '--state-dir', join(this.dir, 'state'), '--sysfs-root', join(this.dir, 'sys'), '--led', '/led/on=ACT',
      '--keepalive', '1'];
  }

  start() {
    const [binary, argv] = this.pi ? [PI, this.piArgs()] : [this.binary, [this.server, this.tokenFile]];
    const [cmd, args] = this.valgrind
      ? [this.valgrind, ['--quiet', '--error-exitcode=99', '--leak-check=full',
        '--errors-for-leak-kinds=definite,indirect', binary, ...argv]]
      : [binary, argv];
    this.proc = spawn(cmd, args, { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.out += d));
    this.proc.stderr.on('data', (d) => (this.err += d));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    return this;
  }

  // Resolves once stdout has the line `applied <revision> …` (or `rejected <revision>`).
  // Resolves once the client has applied `revision` (any revision when omitted).
  waitApplied(revision, ms = 10000) {
    return this.pi
      ? this.waitLine((l) => (revision === undefined ? l.startsWith('henge-pi: applied revision ')
        : l === `henge-pi: applied revision ${revision}`), ms, 'err')
      : this.waitLine(`applied ${revision === undefined ? '' : `${revision} `}`, ms);
  }

  // Resolves once a line of stdout (or `stream`) starts with `prefix`, or satisfies it
  // when it is a function. Fails at once if the client exits first.
  waitLine(prefix, ms = 10000, stream = 'out') {
    const matches = typeof prefix === 'function' ? prefix : (l) => l.startsWith(prefix);
    let ended = null;
    this.exited.then((e) => (ended = e));
    return waitFor(() => {
      if (this[stream].split('\n').some(matches)) return true;
      if (ended) throw new Error(`the C client exited (${JSON.stringify(ended)}) before "${prefix}":\n${this.err.slice(-4000)}`);
      return false;
    }, ms, `"${prefix}" from the C client`);
  }

  // SIGTERM; it must exit 0 (under valgrind: no error and nothing leaked).
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const { code, signal } = await this.exited;
    assert.equal(code, 0, `the C client exited with ${code ?? signal}:\n${this.err.slice(-4000)}`);
  }
}
