// Runs libhenge's example client (clients/c/examples/print_configs.c) as a real
// process, optionally under valgrind (VALGRIND names the binary).

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { tempDir, waitFor } from './harness.mjs';

export const EXAMPLE = process.env.HENGE_C_EXAMPLE_BIN;
if (!EXAMPLE) throw new Error('HENGE_C_EXAMPLE_BIN must name libhenge\'s print_configs example');

export class CExample {
  constructor({ server, token, valgrind = process.env.VALGRIND }) {
    this.server = server;
    this.tokenFile = join(tempDir('henge-c-'), 'token');
    writeFileSync(this.tokenFile, `${token}\n`, { mode: 0o600 });
    this.valgrind = valgrind;
    this.out = '';
    this.err = '';
  }

  start() {
    const argv = [this.server, this.tokenFile];
    const [cmd, args] = this.valgrind
      ? [this.valgrind, ['--quiet', '--error-exitcode=99', '--leak-check=full',
        '--errors-for-leak-kinds=definite,indirect', EXAMPLE, ...argv]]
      : [EXAMPLE, argv];
    this.proc = spawn(cmd, args, { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.out += d));
    this.proc.stderr.on('data', (d) => (this.err += d));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    return this;
  }

  // Resolves once stdout has the line `applied <revision> …` (or `rejected <revision>`).
  // Fails at once if the client exits first.
  waitLine(prefix, ms = 10000) {
    let ended = null;
    this.exited.then((e) => (ended = e));
    return waitFor(() => {
      if (this.out.split('\n').some((l) => l.startsWith(prefix))) return true;
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
