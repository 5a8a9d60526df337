// The device clients behind one interface, for the client contract suite: henge-agent,
// libhenge's example (print_configs), henge-pi, and the lwIP port as a Pico W runs it
// (henge-lwip-host: libhenge-core's engine over lwIP's TCP). Each runs as a real
// process against a server URL (henged, or the fault proxy in front of it).
//
// What a client applied is recorded the same way for each: henge-agent and henge-pi
// run an apply command that appends $HENGE_REVISION to a log once it succeeded; the
// example and the lwIP host print "applied <revision>". A test reads `applies()`.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { tempDir, waitFor } from './harness.mjs';

const BINARIES = {
  agent: process.env.HENGE_AGENT_BIN,
  example: process.env.HENGE_C_EXAMPLE_BIN,
  pi: process.env.HENGE_PI_BIN,
  lwip: process.env.HENGE_LWIP_HOST_BIN,
};

// HENGE_PI_RUNNER runs a cross-built henge-pi, e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu".
const PI_RUNNER = (process.env.HENGE_PI_RUNNER ?? '').split(' ').filter(Boolean);

// The kinds whose binary was given (HENGE_CONTRACT_CLIENTS narrows them, e.g. "pi").
export function clientKinds() {
  const wanted = (process.env.HENGE_CONTRACT_CLIENTS ?? 'agent,example,pi,lwip').split(',').filter(Boolean);
  for (const k of wanted) if (!BINARIES[k]) throw new Error(`no binary for the ${k} client (HENGE_*_BIN)`);
  return wanted;
}

// The kinds that print what they apply (a program's callback), rather than write a
// file and run commands.
function printsApplies(kind) {
  return kind === 'example' || kind === 'lwip';
}

// Whether a kind writes a file and runs commands.
export function hasHooks(kind) {
  return !printsApplies(kind);
}

export class ContractClient {
  // `options`: keepalive, backoffBase, backoffCap, commandTimeout (seconds);
  // maxConfigBytes; applyCmd, verifyCmd (shell, hook-capable kinds); outputDir.
  constructor(kind, { server, token, options = {} }) {
    this.kind = kind;
    this.server = server;
    this.dir = tempDir(`henge-contract-${kind}-`);
    this.tokenFile = join(this.dir, 'token');
    this.outputDir = options.outputDir ?? join(this.dir, 'out');
    mkdirSync(this.outputDir, { recursive: true });
    this.output = join(this.outputDir, 'config.json');
    this.stateDir = options.stateDir ?? join(this.dir, 'state');
    this.appliesFile = join(this.dir, 'applies.log');
    this.checksFile = join(this.dir, 'checks.log');
    this.options = { keepalive: 0.5, backoffBase: 0.05, backoffCap: 1, commandTimeout: 10, ...options };
    if (token !== undefined) this.writeToken(token);
    this.log = '';
    this.lastApplied = 0; // the example's persisted revision, as an application would keep it
    this.exampleApplies = [];
    this.starts = 0;
    if (kind === 'pi') this.#fakeBoard();
  }

  writeToken(token, rest = '') {
    writeFileSync(this.tokenFile, `${token}\n${rest}`, { mode: 0o600 });
  }

  #fakeBoard() {
    this.led = join(this.dir, 'sys', 'class', 'leds', 'ACT');
    mkdirSync(this.led, { recursive: true });
    writeFileSync(join(this.led, 'brightness'), '0\n');
    writeFileSync(join(this.led, 'max_brightness'), '1\n');
  }

  brightness() {
    return readFileSync(join(this.led, 'brightness'), 'utf8').trim();
  }

  setBrightness(value) {
    writeFileSync(join(this.led, 'brightness'), `${value}\n`);
  }

  #applyCommand() {
    const record = `echo "$HENGE_REVISION" >> '${this.appliesFile}'`;
    return this.options.applyCmd ? `( ${this.options.applyCmd} ) && ${record}` : record;
  }

  #argv() {
    const o = this.options;
    if (printsApplies(this.kind)) return [this.server, this.tokenFile, ...(this.lastApplied ? [String(this.lastApplied)] : [])];
    const argv = ['--server', this.server, '--token-file', this.tokenFile, '--output', this.output,
      '--state-dir', this.stateDir, '--keepalive', String(o.keepalive),
      '--backoff-base', String(o.backoffBase), '--backoff-cap', String(o.backoffCap),
      '--command-timeout', String(o.commandTimeout), '--apply-cmd', this.#applyCommand()];
    if (o.verifyCmd) argv.push('--verify-cmd', `echo "$HENGE_REVISION" >> '${this.checksFile}'; ${o.verifyCmd}`);
    if (o.maxConfigBytes) argv.push('--max-config-bytes', String(o.maxConfigBytes));
    if (this.kind === 'pi') argv.push('--sysfs-root', join(this.dir, 'sys'), '--led', '/led/on=ACT');
    return argv;
  }

  #env() {
    const o = this.options;
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' };
    if (printsApplies(this.kind)) {
      env.HENGE_KEEPALIVE_MS = String(Math.round(o.keepalive * 1000));
      env.HENGE_BACKOFF_BASE_MS = String(Math.round(o.backoffBase * 1000));
      env.HENGE_BACKOFF_CAP_MS = String(Math.round(o.backoffCap * 1000));
      if (o.maxConfigBytes) env.HENGE_MAX_CONFIG_BYTES = String(o.maxConfigBytes);
    }
    return env;
  }

  start() {
    this.starts += 1;
    this.log = '';
    let out = '';
    const [cmd, args] = this.kind === 'pi' && PI_RUNNER.length
      ? [PI_RUNNER[0], [...PI_RUNNER.slice(1), BINARIES.pi, ...this.#argv()]]
      : [BINARIES[this.kind], this.#argv()];
    this.proc = spawn(cmd, args, { env: this.#env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => {
      this.log += d;
      if (!printsApplies(this.kind)) return;
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const m = /^applied (\d+) /.exec(out.slice(0, nl));
        if (m) {
          this.exampleApplies.push(Number(m[1]));
          this.lastApplied = Number(m[1]);
        }
        out = out.slice(nl + 1);
      }
    });
    this.proc.stderr.on('data', (d) => (this.log += d));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then((e) => (this.ended = e));
    this.ended = undefined;
    return this;
  }

  // The revisions applied, in order, across restarts.
  applies() {
    if (printsApplies(this.kind)) return [...this.exampleApplies];
    if (!existsSync(this.appliesFile)) return [];
    return readFileSync(this.appliesFile, 'utf8').split('\n').filter(Boolean).map(Number);
  }

  // The revisions the client ran its check on (the verify command, or the example's
  // callback), applied or not: a config answered again must not be checked again.
  checks() {
    if (printsApplies(this.kind)) {
      return [...this.log.matchAll(/^(?:applied|rejected) (\d+)/gm)].map((m) => Number(m[1]));
    }
    if (!existsSync(this.checksFile)) return [];
    return readFileSync(this.checksFile, 'utf8').split('\n').filter(Boolean).map(Number);
  }

  // What the client holds as its config: the output file, or what the example printed.
  config() {
    if (printsApplies(this.kind)) {
      const lines = this.log.split('\n').filter((l) => l.startsWith('applied '));
      return lines.length ? lines.at(-1).replace(/^applied \d+ /, '') : null;
    }
    return existsSync(this.output) ? readFileSync(this.output, 'utf8') : null;
  }

  running() {
    return this.proc && this.ended === undefined;
  }

  async waitLog(pattern, ms = 10000) {
    return waitFor(() => {
      if (pattern.test(this.log)) return true;
      if (this.ended) throw new Error(`${this.kind} exited (${JSON.stringify(this.ended)}) before logging ${pattern}:\n${this.log}`);
      return false;
    }, ms, `${this.kind} to log ${pattern}`);
  }

  // SIGTERM; it must exit 0 within `ms` (an ASan build fails on a leak).
  async stop(ms = 10000) {
    if (!this.running()) return;
    this.proc.kill('SIGTERM');
    await waitFor(() => this.ended, ms, `${this.kind} to exit after SIGTERM`);
    assert.equal(this.ended.code, 0, `${this.kind} exited with ${this.ended.code ?? this.ended.signal}:\n${this.log.slice(-3000)}`);
  }

  async kill9() {
    if (!this.running()) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}
