// What the README has a newcomer run must work on any fresh run: no revision numbers
// that only one run ever had, and every file its walkthrough leaves at the top of the
// clone (tokens among them) ignored by git.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(new URL('README.md', `file://${root}`), 'utf8');

test('the walkthroughs take revisions from the answers, never as numbers written in', () => {
  const written = [...readme.matchAll(/"revision\\?"?:\s*\d+/g)].map((m) => m[0]);
  assert.deepEqual(written, []);
  assert.doesNotMatch(readme, /(rollback|ack)\s+\d+\b/);
});

test('every file the walkthrough leaves at the top of the clone is ignored by git', () => {
  for (const path of ['henge-data/admin-token', 'pi-1/config.json', 'pi-1.token', 'pi-led.json', 'fleet.csv',
    'fleet-tokens.csv']) {
    const mentioned = path.split('/')[0];
    assert.ok(readme.includes(mentioned), `${mentioned} is in the README`);
    // check-ignore exits 0 when the path is ignored, 1 when it is not.
    execFileSync('git', ['check-ignore', '-q', path], { cwd: root });
  }
});
