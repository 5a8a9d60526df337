// The henge CLI against a real henged: every subcommand, its output for people and
// for scripts, and its errors (the server's problem detail, exit 1; bad usage, exit 2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LED_SCHEMA, tempDir, waitFor } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';
import { cliFor, henge } from './clients.mjs';

const box = sharedHenged();

function file(content) {
  const path = join(tempDir(), 'doc.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function failing(run, args, code, pattern) {
  const r = await run(args);
  assert.equal(r.code, code, `henge ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  assert.match(r.stderr, pattern);
  return r;
}

test('login checks the server and token, saves them 0600, and later commands use them', async () => {
  const { h } = box;
  const home = tempDir();
  const env = { XDG_CONFIG_HOME: home, HENGE_SERVER: '', HENGE_TOKEN: '' };
  let r = await henge(['login', '--server', h.url, '--token', 'wrong'], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^henge: 401 Unauthorized/);
  r = await henge(['status'], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no server: give --server, set HENGE_SERVER, or run henge login/);

  r = await henge(['login', '--server', h.url, '--token', h.adminToken], { env });
  assert.equal(r.code, 0, r.stderr);
  const saved = join(home, 'henge', 'credentials.json');
  assert.equal(statSync(saved).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(readFileSync(saved, 'utf8')), { server: h.url, token: h.adminToken });
  r = await henge(['-o', 'json', 'status'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(typeof JSON.parse(r.stdout).devices, 'number');
});

test('device import registers a CSV file in batches and hands over every token', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const group = uniqueId('imp');
  const p = uniqueId('imp');
  const rows = Array.from({ length: 25 }, (_, i) => `${p}-${i},,${group};extra,"room=r${i};note=a, b"`);
  const csv = join(tempDir(), 'devices.csv');
  writeFileSync(csv, `id,schema,groups,labels\r\n${rows.join('\r\n')}\r\n`);
  // Batches of 10: three requests, each atomic; the tokens go to a 0600 file.
  const tokens = join(tempDir(), 'tokens.csv');
  let r = await cli.ok(['device', 'import', csv, '--batch', '10', '--tokens-file', tokens]);
  assert.equal(r.stdout, `25 devices registered; tokens written to ${tokens} (mode 0600)\n`);
  assert.equal(statSync(tokens).mode & 0o777, 0o600);
  const lines = readFileSync(tokens, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'id,token');
  assert.equal(lines.length, 26);
  const [id, token] = lines[13].split(',');
  assert.equal(id, `${p}-12`);
  assert.equal((await h.get('/v1/device/config', { token })).status, 200);
  const d = (await h.get(`/v1/devices/${p}-12`)).json;
  assert.deepEqual(d.groups, ['extra', group].sort());
  assert.deepEqual(d.labels, { room: 'r12', note: 'a, b' });

  // Without a file the tokens are CSV on stdout; from stdin too.
  r = await cli.ok(['device', 'import', '-'], { input: `id\n${p}-x\n` });
  assert.match(r.stdout, new RegExp(`^id,token\\n${p}-x,hdt_\\S+\\n$`));

  // A failing batch names the file's line; the batches before it keep their tokens.
  const bad = join(tempDir(), 'bad.csv');
  writeFileSync(bad, `id\n${p}-y\n${p}-z\n${p}-0\n`);
  r = await cli(['device', 'import', bad, '--batch', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^henge: 409 Conflict/);
  assert.match(r.stderr, /line 4/);
  assert.match(r.stderr, /the 2 before them were/);
  assert.match(r.stdout, new RegExp(`${p}-y,hdt_.*\\n${p}-z,hdt_`));
  assert.equal((await h.get(`/v1/devices/${p}-z`)).status, 200);

  for (const [content, message] of [
    ['', /the file is empty/],
    ['name\nx\n', /unknown column 'name'/],
    ['schema\nx\n', /no 'id' column/],
    ['id,groups\nx\n', /line 2: 1 fields, the header has 2/],
    ['id,labels\nx,novalue\n', /line 2: labels are key=value/],
    ['id\n"x\n', /line 2: a quote is never closed/],
  ]) {
    const f = join(tempDir(), 'bad.csv');
    writeFileSync(f, content);
    await failing(cli, ['device', 'import', f], 1, message);
  }
  await failing(cli, ['device', 'import', join(tempDir(), 'missing.csv')], 1, /missing\.csv/);
  await failing(cli, ['device', 'import', csv, '--batch', '0'], 2, /batch/);
});

test('device add and import say when a schema they name does not exist', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const missing = uniqueId('clinoschema');
  const id = uniqueId('cliwarn');
  let r = await cli.ok(['device', 'add', id, '--schema', missing, '--token-file', join(tempDir(), 't')]);
  assert.match(r.stderr, new RegExp(`^henge: warning: schema ${missing} does not exist \\(yet\\)`, 'm'));
  const csv = join(tempDir(), 'devices.csv');
  writeFileSync(csv, `id,schema\n${uniqueId('cliwarn')},${missing}\n`);
  r = await cli.ok(['device', 'import', csv, '--tokens-file', join(tempDir(), 'tokens.csv')]);
  assert.match(r.stderr, /^henge: warning: schema .* does not exist \(yet\): device /m);
});

test('device add, list, get, rotate-token and rm, with their errors', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const id = uniqueId('cli');
  const tokenFile = join(tempDir(), 'device.token');
  let r = await cli.ok(['device', 'add', id, '--label', 'room=hall', '--token-file', tokenFile]);
  assert.match(r.stdout, new RegExp(`device ${id} registered\\ntoken written to ${tokenFile} \\(mode 0600\\)`));
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();
  assert.equal((await h.get('/v1/device/config', { token })).status, 200);

  r = await cli.ok(['device', 'add', `${id}-b`]);
  assert.match(r.stdout, /^token: hdt_\S+$/m);
  await failing(cli, ['device', 'add', id], 1, /^henge: 409 Conflict/);
  await failing(cli, ['device', 'add', 'x', '--label', 'novalue'], 1, /--label wants key=value/);
  await failing(cli, ['device', 'add', 'bad id!'], 1, /^henge: 400/);

  r = await cli.ok(['device', 'list', '--label', 'room=hall']);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^ID +SCHEMA +STATUS +CONNECTED +APPLIED\/DESIRED +LAST SEEN$/);
  assert.ok(lines.some((l) => l.startsWith(`${id} `)), r.stdout);
  assert.ok(!lines.some((l) => l.startsWith(`${id}-b `)), 'the label filter applies');
  const listed = await cli.json(['device', 'list', '--label', 'room=hall']);
  assert.ok(listed.some((d) => d.id === id));
  await failing(cli, ['device', 'list', '--status', 'sleepy'], 1, /^henge: 400/);

  r = await cli.ok(['device', 'get', id]);
  assert.match(r.stdout, new RegExp(`^id: ${id}$`, 'm'));
  assert.match(r.stdout, /^status: pending$/m);  // it polled once with its token
  assert.equal((await cli.json(['device', 'get', id])).labels.room, 'hall');

  const rotated = await cli.json(['device', 'rotate-token', id]);
  assert.match(rotated.token, /^hdt_/);
  assert.equal((await h.get('/v1/device/config', { token })).status, 401);
  assert.equal((await h.get('/v1/device/config', { token: rotated.token })).status, 200);

  r = await cli.ok(['device', 'rm', id]);
  assert.equal(r.stdout, `device ${id} removed\n`);
  await failing(cli, ['device', 'get', id], 1, /^henge: 404 Not Found: /);
  await failing(cli, ['device', 'rm', id], 1, /^henge: 404/);
});

test('schema apply, get, versions and list, with bad files refused', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const name = uniqueId('schema');
  let r = await cli.ok(['schema', 'apply', name, '-f', file(LED_SCHEMA)]);
  assert.equal(r.stdout, `schema ${name} is at version 1\n`);
  r = await cli.ok(['schema', 'apply', name, '-f', file(LED_SCHEMA)]);
  assert.equal(r.stdout, `schema ${name} is at version 1 (unchanged)\n`);
  const v2 = { ...LED_SCHEMA, title: 'second' };
  r = await cli.ok(['schema', 'apply', name, '-f', '-'], { input: JSON.stringify(v2) });
  assert.equal(r.stdout, `schema ${name} is at version 2\n`);

  assert.deepEqual(JSON.parse((await cli.ok(['schema', 'get', name])).stdout), v2);
  assert.deepEqual(JSON.parse((await cli.ok(['schema', 'get', name, '--version', '1'])).stdout), LED_SCHEMA);
  r = await cli.ok(['schema', 'versions', name]);
  assert.match(r.stdout, new RegExp(`^${name} +1 `, 'm'));
  assert.match(r.stdout, new RegExp(`^${name} +2 `, 'm'));
  assert.ok((await cli.json(['schema', 'list'])).some((s) => s.name === name && s.version === 2));

  await failing(cli, ['schema', 'apply', name, '-f', '/nonexistent.json'], 1, /does not exist/);
  await failing(cli, ['schema', 'apply', name, '-f', file('{not json')], 1, /is not JSON/);
  await failing(cli, ['schema', 'apply', name, '-f', file({ type: 5 })], 1, /^henge: 4\d\d /);
  await failing(cli, ['schema', 'get', `${name}-none`], 1, /^henge: 404/);
  await failing(cli, ['schema', 'apply', name], 2, /--file is required/);
});

test('config set, get --explain, unset, patch, history and rollback; --dry-run changes nothing', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const schema = uniqueId('led');
  await cli.ok(['schema', 'apply', schema, '-f', file(LED_SCHEMA)]);
  const id = uniqueId('cfg');
  await cli.ok(['device', 'add', id, '--schema', schema]);

  let r = await cli.ok(['config', 'set', id, 'led.on=true', '/led/brightness=50', 'name=kitchen']);
  assert.match(r.stdout, /^revision \d+\n$/);
  const first = Number(/\d+/.exec(r.stdout)[0]);
  const cfg = await cli.json(['config', 'get', id]);
  assert.deepEqual(cfg.values, { led: { on: true, brightness: 50 }, name: 'kitchen' });
  assert.deepEqual(JSON.parse((await cli.ok(['config', 'get', id])).stdout), cfg.config);

  r = await cli.ok(['config', 'get', id, '--explain']);
  assert.match(r.stdout, new RegExp(`^device ${id}, revision ${first}, schema ${schema}@1$`, 'm'));
  assert.match(r.stdout, /^\/led\/brightness +50 +device$/m);

  r = await cli.ok(['config', 'set', id, 'led.brightness=7', '--dry-run']);
  assert.equal(r.stdout, `dry run: nothing was changed\n${id}:\n  /led/brightness: 50 -> 7\n`);
  assert.equal((await cli.json(['config', 'get', id])).revision, first);

  r = await failing(cli, ['config', 'set', id, 'led.brightness=300'], 1, /^henge: 422 /);
  assert.match(r.stderr, new RegExp(`\\n  ${id}: /led/brightness: `));
  await failing(cli, ['config', 'set', id, 'noequals'], 1, /'noequals' is not KEY=VALUE/);
  await failing(cli, ['config', 'set', `${id}-none`, 'a=1'], 1, /^henge: 404/);

  r = await cli.ok(['config', 'unset', id, 'name']);
  assert.equal((await cli.json(['config', 'get', id])).values.name, undefined);
  await failing(cli, ['config', 'unset', id, 'name'], 1, /^henge: 404/);

  r = await cli.ok(['config', 'patch', id, '-f', file({ led: { brightness: 9 }, extra: 'x' })]);
  const patched = await cli.json(['config', 'get', id]);
  assert.deepEqual(patched.values, { led: { on: true, brightness: 9 }, extra: 'x' });

  const history = await cli.json(['config', 'history', id]);
  assert.deepEqual(history.slice(0, 3).map((e) => e.action), ['config.set', 'config.set', 'config.set']);
  r = await cli.ok(['config', 'history', id, '--limit', '2']);
  assert.equal(r.stdout.trim().split('\n').length, 3);  // header and two entries

  // No agent runs for this device: --wait gives up after --timeout and says why.
  r = await failing(cli, ['--timeout', '0.3', 'config', 'set', id, 'led.on=false', '--wait'], 1,
    new RegExp(`^henge: ${id} has not applied revision \\d+ yet \\(status never_connected, connected false\\)\n$`));
  assert.match(r.stdout, /^revision \d+\n$/);

  r = await cli.ok(['config', 'rollback', id, String(first)]);
  const back = await cli.json(['config', 'get', id]);
  assert.deepEqual(back.config, cfg.config);
  await failing(cli, ['config', 'rollback', id, '999999'], 1, /^henge: 404/);
});

test('group apply, get, set, unset, list and rm; a write reaches the members', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const group = uniqueId('grp');
  let r = await cli.ok(['group', 'apply', group, '-f', file({ priority: 3, config: { led: { on: false } } })]);
  assert.match(r.stdout, new RegExp(`^group ${group} at revision \\d+\\n$`));
  const id = uniqueId('member');
  await h.post('/v1/devices', { id, groups: [group] });

  r = await cli.ok(['group', 'set', group, 'led.on=true', 'room=lab', '--dry-run']);
  assert.match(r.stdout, new RegExp(`${id}:\\n  /led/on: false -> true\\n  /room: \\(unset\\) -> "lab"\\n`));
  await cli.ok(['group', 'set', group, 'led.on=true', 'room=lab']);
  assert.deepEqual((await cli.json(['config', 'get', id])).config, { led: { on: true }, room: 'lab' });
  await cli.ok(['group', 'unset', group, 'room']);
  const g = await cli.json(['group', 'get', group]);
  assert.deepEqual(g.config, { led: { on: true } });
  assert.equal(g.priority, 3);
  r = await cli.ok(['group', 'get', group]);
  assert.match(r.stdout, /^priority: 3$/m);
  r = await cli.ok(['group', 'list']);
  assert.match(r.stdout, new RegExp(`^${group} +3 +\\d+ +1$`, 'm'));

  r = await cli.ok(['group', 'rm', group]);
  assert.equal(r.stdout, `group ${group} removed\n`);
  assert.deepEqual((await cli.json(['config', 'get', id])).config, {}, 'its config no longer applies');
  await failing(cli, ['group', 'get', group], 1, /^henge: 404/);
  await failing(cli, ['group', 'apply', group, '-f', file([1])], 1, /must hold a JSON object/);
});

test('audit lists what the CLI did, filtered; status counts the fleet', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const id = uniqueId('aud');
  await cli.ok(['device', 'add', id]);
  await cli.ok(['config', 'set', id, 'x=1']);
  const entries = await cli.json(['audit', '--target', `device/${id}`]);
  assert.deepEqual(entries.map((e) => e.action), ['config.set', 'device.create']);
  const r = await cli.ok(['audit', '--target', `device/${id}`, '--limit', '1']);
  assert.match(r.stdout, /^SEQ +AT +ACTOR +ACTION +TARGET +REVISION\n\d+ +\S+ +bootstrap +config\.set +device\//);

  const all = (await h.get('/v1/devices?limit=1000')).json.items;
  const summary = await cli.json(['status']);
  assert.equal(summary.devices, all.length);
  assert.equal(summary.never_connected, all.filter((d) => d.status === 'never_connected').length);
  assert.equal(summary.online, all.filter((d) => d.connected).length);
  const table = await cli.ok(['status']);
  assert.match(table.stdout, /^DEVICES +ONLINE +IN SYNC +PENDING +FAILED +NEVER CONNECTED\n\d+ +\d+/);
});

test('watch prints the fleet events as they happen', async () => {
  const { h } = box;
  const cli = cliFor(h);
  const id = uniqueId('watch');
  await cli.ok(['device', 'add', id]);
  const watching = cli(['-o', 'json', 'watch', '--count', '1']);
  // The event only reaches a watcher connected before it: write until one arrives.
  let done = null;
  watching.then((r) => (done = r));
  await waitFor(async () => {
    if (done) return true;
    await h.put(`/v1/devices/${id}/config`, { tick: Date.now() });
    return false;
  }, 10000, 'watch to print an event');
  assert.equal(done.code, 0, done.stderr);
  const event = JSON.parse(done.stdout.trim());
  assert.equal(event.type, 'config_changed');
  assert.ok(event.data.devices.includes(id));
  assert.match(event.id, /^\d+$/);
});

test('token add, list and rm; a viewer token reads but cannot write; only admins manage tokens', async () => {
  const { h } = box;
  const run = cliFor(h);
  const secretFile = join(tempDir(), 'viewer.token');
  let r = await run.ok(['token', 'add', 'cli-viewer', '--role', 'viewer', '--token-file', secretFile]);
  assert.match(r.stdout, /token cli-viewer \(viewer\) written to .*viewer\.token \(mode 0600\)/);
  assert.equal(statSync(secretFile).mode & 0o777, 0o600);
  const viewer = readFileSync(secretFile, 'utf8').trim();
  assert.match(viewer, /^hat_/);

  r = await run.ok(['token', 'add', 'cli-ops', '--role', 'operator', '--expires-at', '2099-01-01T00:00:00Z']);
  const ops = /token: (hat_\S+)/.exec(r.stdout)[1];
  assert.match(r.stdout, /shown once/);

  r = await run.ok(['token', 'list']);
  assert.match(r.stdout, /^NAME\s+ROLE\s+CREATED\s+EXPIRES\s+EXPIRED/m);
  assert.match(r.stdout, /^cli-ops\s+operator\s+\S+\s+2099-01-01T00:00:00\.000Z\s+false/m);
  assert.ok(!r.stdout.includes(viewer) && !r.stdout.includes(ops), 'never a secret');
  const listed = await run.json(['token', 'list']);
  assert.ok(listed.some((t) => t.name === 'cli-viewer' && t.role === 'viewer'));

  const asViewer = (args) => run(args, { env: { HENGE_TOKEN: viewer } });
  assert.equal((await asViewer(['device', 'list'])).code, 0);
  await failing(asViewer, ['device', 'add', uniqueId('v')], 1, /403 Forbidden.*viewer role cannot change anything/);
  await failing((args) => run(args, { env: { HENGE_TOKEN: ops } }), ['token', 'list'], 1,
    /403 Forbidden.*only an admin token may manage tokens/);

  await failing(run, ['token', 'add', 'cli-ops', '--role', 'viewer'], 1, /409 Conflict.*already exists/);
  await failing(run, ['token', 'add', 'x1', '--role', 'root'], 2, /--role/);
  await failing(run, ['token', 'add', 'x1', '--role', 'viewer', '--expires-at', 'soon'], 1, /RFC 3339/);

  r = await run.ok(['token', 'rm', 'cli-viewer']);
  assert.match(r.stdout, /token cli-viewer deleted/);
  await failing(asViewer, ['device', 'list'], 1, /401 Unauthorized/);
  await failing(run, ['token', 'rm', 'cli-viewer'], 1, /404 Not Found/);
});

test('usage errors exit 2; an unreachable server exits 1 with what failed', async () => {
  const { h } = box;
  const cli = cliFor(h);
  let r = await cli([]);
  assert.equal(r.code, 2);
  r = await cli(['device', 'frobnicate']);
  assert.equal(r.code, 2);
  r = await cli(['-o', 'yaml', 'status']);
  assert.equal(r.code, 2);
  r = await cli(['status'], { env: { HENGE_SERVER: 'http://127.0.0.1:1' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^henge: cannot reach 127\.0\.0\.1:1: connecting to 127\.0\.0\.1:1: Connection refused\n$/);
  r = await cli(['status'], { env: { HENGE_SERVER: 'localhost:8080' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /must start with http:\/\/ or https:\/\//);
  r = await cli(['status'], { env: { HENGE_TOKEN: 'wrong' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^henge: 401 Unauthorized/);
  r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /device/);
});
