// HTTP/1.1 framing by RFC 9112, over raw sockets: a Transfer-Encoding whose final
// coding is not chunked is 400 and the connection closes (a body read as "none" would
// be read as the next request: request smuggling); a coding henged does not implement
// is 501; HTTP/1.1 needs one Host; absolute-form targets are served; HEAD is wherever
// GET is; an over-long target is 414.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from './harness.mjs';
import { sharedHenged } from './shared_server.mjs';

const box = sharedHenged();

// Every response in `text`, as [status, ...] in order.
const statuses = (text) => [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));

test('a smuggled request behind a non-chunked Transfer-Encoding is never answered', async () => {
  const { h } = box;
  const smuggled = `GET /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.adminToken}\r\n\r\n`;
  for (const te of ['gzip', 'identity', 'xchunked', 'chunked, identity']) {
    const text = await rawRequest(h.address,
      `POST /v1/devices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\n` +
      `Authorization: Bearer ${h.adminToken}\r\nContent-Type: application/json\r\n\r\n${smuggled}`);
    assert.deepEqual(statuses(text), [400], `${te}: one 400 and the close, nothing for the smuggled GET:\n${text}`);
    assert.match(text, /final transfer coding must be chunked/);
    assert.match(text, /Connection: close/i);
  }
});

test('a transfer coding henged does not implement is 501', async () => {
  const { h } = box;
  const text = await rawRequest(h.address,
    'POST /v1/devices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n');
  assert.deepEqual(statuses(text), [501], text);
  assert.match(text, /transfer coding gzip is not implemented/);
});

test('Transfer-Encoding beside Content-Length, or on HTTP/1.0, is 400', async () => {
  const { h } = box;
  let text = await rawRequest(h.address,
    'POST /v1/devices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}');
  assert.deepEqual(statuses(text), [400], text);
  text = await rawRequest(h.address, 'POST /v1/devices HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  assert.deepEqual(statuses(text), [400], text);
});

test('a chunked body is still read as the body', async () => {
  const { h } = box;
  const body = JSON.stringify({ id: 'chunked-one' });
  const text = await rawRequest(h.address,
    `POST /v1/devices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n` +
    `Authorization: Bearer ${h.adminToken}\r\nContent-Type: application/json\r\n\r\n` +
    `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
  assert.deepEqual(statuses(text), [201], text);
});

test('HTTP/1.1 without Host, or with two, is 400; HTTP/1.0 needs none', async () => {
  const { h } = box;
  let text = await rawRequest(h.address, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.deepEqual(statuses(text), [400], text);
  assert.match(text, /needs a Host header/);
  text = await rawRequest(h.address, 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
  assert.deepEqual(statuses(text), [400], text);
  text = await rawRequest(h.address, 'GET /healthz HTTP/1.0\r\n\r\n');
  assert.deepEqual(statuses(text), [200], text);
});

test('an absolute-form target is served as its path', async () => {
  const { h } = box;
  const text = await rawRequest(h.address,
    `GET http://${h.address}/v1/devices?limit=1 HTTP/1.1\r\nHost: ${h.address}\r\n` +
    `Authorization: Bearer ${h.adminToken}\r\nConnection: close\r\n\r\n`);
  assert.deepEqual(statuses(text), [200], text);
  assert.match(text, /"items":/);
});

test('HEAD answers wherever GET does, with the header and no body', async () => {
  const { h } = box;
  const get = await h.get('/v1/devices');
  const head = await h.req('HEAD', '/v1/devices');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(head.headers.get('content-type'), 'application/json');
  assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(get.text)));
  assert.equal((await h.req('HEAD', '/healthz', { token: null })).status, 200);
  assert.equal((await h.req('HEAD', '/v1/devices/nobody')).status, 404);
  assert.equal((await h.req('HEAD', '/v1/devices', { token: null })).status, 401);
  // On a keep-alive connection the next request is read right after the header.
  const text = await rawRequest(h.address,
    `HEAD /v1/devices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.adminToken}\r\n\r\n` +
    'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.deepEqual(statuses(text), [200, 200], text);
});

test('HEAD of the device stream answers without opening it', async () => {
  const { h } = box;
  const dev = await h.post('/v1/devices', { id: 'head-stream' });
  const r = await h.req('HEAD', '/v1/device/stream', { token: dev.json.token });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/event-stream');
  assert.equal((await h.get('/v1/devices/head-stream')).json.connected, false);
});

test('an over-long target is 414, within and beyond the header limit', async () => {
  const { h } = box;
  for (const n of [9000, 20000]) {
    const text = await rawRequest(h.address, `GET /v1/${'a'.repeat(n)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.deepEqual(statuses(text), [414], `${n}: ${text}`);
  }
  const long = await h.get(`/v1/devices/${'a'.repeat(4000)}`);
  assert.equal(long.status, 400, 'a long target under the limit reaches the route');
});
