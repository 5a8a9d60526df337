// One henged per test file: started before the first test, stopped after the last
// with SIGTERM, and its exit status asserted (an ASan build exits non-zero on a leak).

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Henged } from './harness.mjs';

export function sharedHenged(options) {
  const box = {};
  before(async () => {
    box.h = await new Henged(options).start();
  });
  after(async () => {
    const { code, signal } = await box.h.stop();
    box.h.cleanup();
    assert.equal(code, 0, `henged exited with ${code ?? signal}:\n${box.h.stderr.slice(-4000)}`);
  });
  return box;
}

let counter = 0;
// A device id unique within the test run.
export function uniqueId(prefix = 'd') {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
