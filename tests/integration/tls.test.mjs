// henged serving HTTPS itself (--tls-cert/--tls-key): TLS 1.2 and later only, verified by
// curl, henge-agent and libhenge (mbedTLS) against a CA this test makes with openssl; SIGHUP swaps the
// certificate for new connections while open streams go on; a bad certificate at start
// is one line and exit 1, a bad one at reload keeps the old one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Agent } from './clients.mjs';
import { CExample } from './c_example.mjs';
import { Henged, tempDir, waitFor } from './harness.mjs';

const run = promisify(execFile);
const dir = tempDir('henge-tls-');
const ca = join(dir, 'ca.pem');
const serverCert = join(dir, 'server.pem');
const serverKey = join(dir, 'server.key');
const otherCa = join(dir, 'other-ca.pem'); // a CA that signed nothing henged serves

function openssl(...args) {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

// A CA, and two server certificates it signed for 127.0.0.1 (CN henged-one, henged-two).
before(() => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout',
    join(dir, 'ca.key'), '-out', ca, '-days', '2', '-subj', '/CN=henge test CA');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
    'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  for (const name of ['one', 'two']) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`),
      '-out', join(dir, `${name}.csr`), '-subj', `/CN=henged-${name}`);
    openssl('x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', ca, '-CAkey', join(dir, 'ca.key'),
      '-CAcreateserial', '-out', join(dir, `${name}.pem`), '-days', '1', '-extfile', join(dir, 'ext'));
  }
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout',
    join(dir, 'other-ca.key'), '-out', otherCa, '-days', '2', '-subj', '/CN=another CA');
  use('one');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function use(name) {
  copyFileSync(join(dir, `${name}.pem`), serverCert);
  copyFileSync(join(dir, `${name}.key`), serverKey);
}

async function startTls(t) {
  const h = await new Henged({ store: 'memory', args: ['--tls-cert', serverCert, '--tls-key', serverKey] }).start();
  t.after(async () => {
    const { code, signal } = await h.stop();
    h.cleanup();
    assert.equal(code, 0, `henged exited with ${code ?? signal}:\n${h.stderr.slice(-3000)}`);
  });
  assert.match(h.url, /^https:/);
  return h;
}

// One JSON request over HTTPS, trusting only the test CA.
function call(h, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${h.url}${path}`, { method, ca: readFileSync(ca), agent: false,
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// A TLS handshake with henged: the protocol agreed and the certificate's CN, or the error.
function handshake(h, options = {}) {
  const [host, port] = h.address.split(':');
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port: Number(port), ca: readFileSync(ca), servername: undefined, ...options }, () => {
      const result = { protocol: socket.getProtocol(), cn: socket.getPeerCertificate().subject.CN };
      socket.end();
      resolve(result);
    });
    socket.on('error', (error) => resolve({ error: error.message }));
  });
}

test('HTTPS with TLS 1.2 and later: curl and henge-agent verify henged against the CA', async (t) => {
  const h = await startTls(t);
  const { stdout } = await run('curl', ['-sS', '--cacert', ca, `${h.url}/healthz`]);
  assert.equal(JSON.parse(stdout).status, 'ok');
  await assert.rejects(run('curl', ['-sS', `${h.url}/healthz`]), (e) => e.code === 60, 'an unknown CA is refused by curl');

  assert.deepEqual(await handshake(h, { maxVersion: 'TLSv1.2' }), { protocol: 'TLSv1.2', cn: 'henged-one' });
  assert.deepEqual(await handshake(h), { protocol: 'TLSv1.3', cn: 'henged-one' });
  // The client allows TLS 1.1 here; the refusal is henged's (a protocol-version alert).
  const old = await handshake(h, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
  assert.match(old.error ?? '', /alert protocol version/i, JSON.stringify(old));

  const plain = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${h.address}/healthz`])
    .then((r) => r.stdout, (e) => e.stdout ?? 'error');
  assert.notEqual(plain, '200', 'plain HTTP is not served on the TLS port');

  const added = await call(h, 'POST', '/v1/devices', { id: 'tls-pi' });
  assert.equal(added.status, 201);
  const agent = new Agent({ server: h.url, token: added.json.token, args: ['--ca-file', ca] }).start();
  t.after(() => agent.stop());
  const w = await call(h, 'PUT', '/v1/devices/tls-pi/config', { secure: true });
  assert.equal(w.status, 200);
  await waitFor(() => agent.config() === '{"secure":true}', 10000, 'the agent to apply over https');
});

test('libhenge over HTTPS: mbedTLS verifies henged by address and by name against the CA; another CA is refused', async (t) => {
  use('one');
  const h = await startTls(t);
  const port = h.address.split(':')[1];
  // By address (the certificate's IP name, checked by libhenge itself) and by name
  // (SNI and the DNS name, checked by mbedTLS; localhost may resolve to ::1 first, where
  // nothing listens, and the client goes on to 127.0.0.1).
  for (const [id, server] of [['tls-c-ip', h.url], ['tls-c-name', `https://localhost:${port}`]]) {
    const added = await call(h, 'POST', '/v1/devices', { id });
    assert.equal(added.status, 201);
    const client = new CExample({ server, token: added.json.token, env: { HENGE_CA_FILE: ca } }).start();
    t.after(() => client.stop());
    const w = await call(h, 'PUT', `/v1/devices/${id}/config`, { over: 'tls' });
    await client.waitApplied(w.json.revision);
    await waitFor(async () => (await call(h, 'GET', `/v1/devices/${id}`)).json.status === 'in_sync', 10000,
      `${id} in_sync over https`);
  }
  const added = await call(h, 'POST', '/v1/devices', { id: 'tls-c-untrusted' });
  const untrusted = new CExample({ server: h.url, token: added.json.token, env: { HENGE_CA_FILE: otherCa } }).start();
  t.after(() => untrusted.stop());
  await untrusted.waitLine((l) => /cannot reach the server: the server's certificate is not trusted for 127\.0\.0\.1/.test(l),
    10000, 'err');
  const missing = new CExample({ server: h.url, token: added.json.token, env: { HENGE_CA_FILE: join(dir, 'none.pem') } }).start();
  t.after(() => missing.stop());
  await missing.waitLine((l) => /cannot read the CA certificates in .*none\.pem/.test(l), 10000, 'err');
  assert.equal((await call(h, 'GET', '/v1/devices/tls-c-untrusted')).json.status, 'never_connected');
});

test('SIGHUP swaps the certificate for new connections; open streams stay; a bad one is refused and the old kept', async (t) => {
  use('one');
  const h = await startTls(t);
  const added = await call(h, 'POST', '/v1/devices', { id: 'tls-reload' });
  const agent = new Agent({ server: h.url, token: added.json.token, args: ['--ca-file', ca] }).start();
  t.after(() => agent.stop());
  await agent.waitLog('stream connected');
  assert.equal((await handshake(h)).cn, 'henged-one');

  use('two');
  h.proc.kill('SIGHUP');
  await waitFor(() => /TLS certificate reloaded/.test(h.stderr), 5000, 'the reload to be logged');
  assert.equal((await handshake(h)).cn, 'henged-two', 'new connections get the new certificate');
  const w = await call(h, 'PUT', '/v1/devices/tls-reload/config', { after: 'reload' });
  assert.equal(w.status, 200);
  await waitFor(() => agent.config() === '{"after":"reload"}', 10000, 'the push over the stream opened before the reload');
  assert.equal(agent.log.split('stream connected').length - 1, 1, 'the stream was never reopened');

  writeFileSync(serverKey, 'not a key\n');
  h.proc.kill('SIGHUP');
  await waitFor(() => /TLS certificate not reloaded; keeping the one in use/.test(h.stderr), 5000, 'the refusal to be logged');
  assert.equal((await handshake(h)).cn, 'henged-two', 'still serving with the last good certificate');
  assert.equal((await call(h, 'GET', '/v1/devices/tls-reload')).status, 200);
});

test('bad TLS settings at start: one line, exit 1', async () => {
  use('one');
  const cases = [
    [['--tls-cert', serverCert], /TLS needs both a certificate and a key/],
    [['--tls-cert', join(dir, 'missing.pem'), '--tls-key', serverKey], /cannot read the TLS certificate .*missing\.pem/],
    [['--tls-cert', serverCert, '--tls-key', join(dir, 'two.key')], /the TLS key .* does not match the certificate/],
  ];
  for (const [args, message] of cases) {
    const h = new Henged({ store: 'memory', args });
    await assert.rejects(h.start(), /henged exited early/);
    assert.equal((await h.exited).code, 1);
    const lines = h.stderr.trim().split('\n').filter((l) => l.startsWith('henged:'));
    assert.equal(lines.length, 1, h.stderr);
    assert.match(lines[0], message);
    h.cleanup();
  }
});
