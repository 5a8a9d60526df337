// Bad input of every kind: a clear problem+json answer, never a crash or a hang.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from './harness.mjs';
import { sharedHenged, uniqueId } from './shared_server.mjs';

const box = sharedHenged();

function assertProblem(r, status) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  assert.equal(r.json.status, status);
  assert.ok(r.json.title && r.json.detail);
  assert.equal(r.json.request_id, r.headers.get('x-request-id'));
}

test('malformed JSON is 400', async () => {
  const { h } = box;
  assertProblem(await h.post('/v1/devices', '{"id": '), 400);
  assertProblem(await h.post('/v1/devices', ''), 400);
  assertProblem(await h.post('/v1/devices', '[1,2'), 400);
  assertProblem(await h.post('/v1/devices', '['.repeat(100000)), 400);
});

test('a wrong Content-Type is 415', async () => {
  const { h } = box;
  assertProblem(await h.post('/v1/devices', JSON.stringify({ id: uniqueId() }), { contentType: 'text/plain' }), 415);
  assertProblem(await h.req('POST', '/v1/devices', { contentType: undefined }), 415);
  const r = await h.post('/v1/devices', JSON.stringify({ id: uniqueId() }), {
    contentType: 'application/json; charset=utf-8',
  });
  assert.equal(r.status, 201, 'parameters on the media type are fine');
});

test('a body over the limit is 413', async () => {
  const { h } = box;
  const big = JSON.stringify({ id: uniqueId(), config: { blob: 'x'.repeat(1100 * 1024) } });
  assertProblem(await h.post('/v1/devices', big), 413);
});

test('an unknown route is 404; a wrong method is 405 with Allow', async () => {
  const { h } = box;
  assertProblem(await h.get('/v1/nothing-here'), 404);
  assertProblem(await h.get('/'), 404);
  const r = await h.req('DELETE', '/v1/devices');
  assertProblem(r, 405);
  assert.equal(r.headers.get('allow'), 'POST, GET, HEAD');
  const r2 = await h.req('POST', '/v1/schemas/x');
  assertProblem(r2, 405);
  assert.equal(r2.headers.get('allow'), 'GET, HEAD, PUT');
});

test('a missing or unknown token is 401; a device token is 403', async () => {
  const { h } = box;
  const none = await h.get('/v1/devices', { token: null });
  assertProblem(none, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assertProblem(await h.get('/v1/devices', { token: 'not-a-token' }), 401);
  assertProblem(await h.get('/v1/devices', { token: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401);
  const dev = await h.post('/v1/devices', { id: uniqueId('tok') });
  assertProblem(await h.get('/v1/devices', { token: dev.json.token }), 403);
  assertProblem(await h.post('/v1/devices', { id: uniqueId() }, { token: dev.json.token }), 403);
});

test('invalid ids and JSON pointers are 400', async () => {
  const { h } = box;
  assertProblem(await h.get('/v1/devices/UPPER'), 400);
  assertProblem(await h.get('/v1/devices/%41'), 400);
  assertProblem(await h.put('/v1/groups/_x', {}), 400);
  const id = uniqueId('ptr');
  await h.post('/v1/devices', { id });
  assertProblem(await h.put(`/v1/devices/${id}/config/a~9`, 1), 400);
});

test('X-Request-Id is echoed when sane and generated otherwise', async () => {
  const { h } = box;
  let r = await h.get('/v1/devices/nobody', { headers: { 'x-request-id': 'trace-123' } });
  assert.equal(r.headers.get('x-request-id'), 'trace-123');
  assert.equal(r.json.request_id, 'trace-123');
  r = await h.get('/v1/devices', { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.notEqual(r.headers.get('x-request-id'), 'bad id with spaces');
  assert.ok(r.headers.get('x-request-id').length >= 16);
});

test('raw protocol abuse gets 400 or 431 and the server stays up', async () => {
  const { h } = box;
  let text = await rawRequest(h.address, 'NOT HTTP AT ALL\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 400/);
  text = await rawRequest(h.address, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
  assert.match(text, /^HTTP\/1\.1 431/);
  text = await rawRequest(h.address, 'POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 413/);
  text = await rawRequest(h.address, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 200/);
  assert.equal((await h.get('/healthz')).status, 200);
});
