// Runs henge's own clients as real processes: henge-agent (the device side) and the
// henge CLI. Every wait has a deadline.

import { spawn, execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { tempDir, waitFor } from './harness.mjs';

export const AGENT = process.env.HENGE_AGENT_BIN;
export const CLI = process.env.HENGE_CLI_BIN;
if (!AGENT || !CLI) throw new Error('HENGE_AGENT_BIN and HENGE_CLI_BIN must name the client binaries');

// One henge-agent with its own directory for the token, the output and the state.
export class Agent {
  // `settingsFile`: give the settings in an agent.conf file instead of as flags.
  constructor({ server, token, dir = tempDir('henge-agent-'), args = [], env = {}, settingsFile = false }) {
    this.settingsFile = settingsFile;
    this.server = server;
    this.dir = dir;
    this.output = join(dir, 'out', 'config.json');
    this.stateDir = join(dir, 'state');
    this.tokenFile = join(dir, 'token');
    mkdirSync(join(dir, 'out'), { recursive: true });
    if (token !== undefined) writeFileSync(this.tokenFile, `${token}\n`, { mode: 0o600 });
    this.args = args;
    this.env = env;
    this.log = '';
  }

  start({ env = {}, args = [] } = {}) {
    const given = [...this.args, ...args];
    // Quick reconnects keep tests short; a test of the backoff sets its own.
    const backoff = given.includes('--backoff-cap') ? [] : ['--backoff-base', '0.05', '--backoff-cap', '1'];
    let argv = ['--server', this.server, '--token-file', this.tokenFile, '--output', this.output,
      '--state-dir', this.stateDir, ...backoff, ...given];
    if (this.settingsFile) {
      const conf = join(this.dir, 'agent.conf');
      writeFileSync(conf, [`server = "${this.server}"`, `token-file = "${this.tokenFile}"`,
        `output = "${this.output}"`, `state-dir = "${this.stateDir}"`, 'backoff-cap = 1', ''].join('\n'));
      argv = ['--config', conf, ...given];
    }
    this.log = '';
    this.proc = spawn(AGENT, argv, {
      env: { ...process.env, ...this.env, ...env, ASAN_OPTIONS: 'detect_leaks=1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.on('data', (d) => (this.log += d));
    this.proc.stderr.on('data', (d) => (this.log += d));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    return this;
  }

  // Resolves when the log matches `pattern` (a RegExp or a string), failing early if
  // the agent exits.
  async waitLog(pattern, ms = 10000) {
    let ended = null;
    this.exited.then((e) => (ended = e));
    return waitFor(() => {
      const hit = typeof pattern === 'string' ? this.log.includes(pattern) : pattern.test(this.log);
      if (hit) return true;
      if (ended) throw new Error(`henge-agent exited (${JSON.stringify(ended)}) before logging ${pattern}:\n${this.log}`);
      return false;
    }, ms, `henge-agent to log ${pattern}`);
  }

  config() {
    return existsSync(this.output) ? readFileSync(this.output, 'utf8') : null;
  }

  // SIGTERM, and the exit status must be 0 (an ASan build fails on a leak).
  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const { code, signal } = await this.exited;
    assert.equal(code, 0, `henge-agent exited with ${code ?? signal}:\n${this.log.slice(-3000)}`);
  }

  async kill9() {
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

// Runs the henge CLI to completion: { code, stdout, stderr }.
export function henge(args, { env = {}, input } = {}) {
  return new Promise((resolve) => {
    const child = execFile(CLI, args, {
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', ...env },
      timeout: 30000,
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

// The CLI against one henged with the admin token, asserting success.
export function cliFor(h, env = {}) {
  const base = { HENGE_SERVER: h.url, HENGE_TOKEN: h.adminToken, XDG_CONFIG_HOME: tempDir('henge-cli-'), ...env };
  const run = (args, opts = {}) => henge(args, { ...opts, env: { ...base, ...(opts.env ?? {}) } });
  run.ok = async (args, opts) => {
    const r = await run(args, opts);
    assert.equal(r.code, 0, `henge ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r;
  };
  run.json = async (args, opts) => JSON.parse((await run.ok(['-o', 'json', ...args], opts)).stdout);
  run.env = base;
  return run;
}
