// SIGTERM: readiness fails at once, streams get goaway spread over the drain period,
// and henged exits 0 within the drain period and 5 s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Henged, SseClient, waitFor } from './harness.mjs';

test('SIGTERM: /readyz 503 at once, goaway spread over --drain, exit 0 in time', async (t) => {
  const h = await new Henged({ store: 'memory', args: ['--drain', '2'] }).start();
  t.after(() => h.kill9().then(() => h.cleanup()));
  const streams = [];
  for (let i = 0; i < 10; i++) {
    const r = await h.post('/v1/devices', { id: `drain-${i}` });
    const s = new SseClient(`${h.url}/v1/device/stream`, { token: r.json.token });
    await s.waitFor((e) => e.event === 'config');
    streams.push(s);
  }
  // A connection opened before the signal, as a load balancer's health checker
  // holds one: its next /readyz must see the drain at once.
  const [host, port] = h.address.split(':');
  const probe = net.connect(Number(port), host);
  await new Promise((r) => probe.on('connect', r));
  let answer = '';
  probe.on('data', (d) => (answer += d));
  // One exchange first, so henged has surely accepted this connection.
  probe.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => answer.includes('{"status":"ok"}'), 5000, 'healthz on the held connection');
  answer = '';
  const start = Date.now();
  h.proc.kill('SIGTERM');
  await waitFor(() => /signal received/.test(h.stderr), 1000, 'the signal to be handled');
  probe.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => answer.includes('\r\n\r\n'), 1000, 'readyz to answer');
  assert.match(answer, /^HTTP\/1\.1 503/);
  probe.destroy();
  const arrivals = [];
  for (const s of streams) {
    const g = await s.waitFor((e) => e.event === 'goaway', 5000, 'goaway');
    assert.deepEqual(g.json, { reason: 'shutdown' });
    arrivals.push(g.at - start);
  }
  const { code } = await h.exited;
  const total = Date.now() - start;
  assert.equal(code, 0);
  assert.ok(total <= 2000 + 5000, `exited after ${total} ms`);
  arrivals.sort((a, b) => a - b);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 500, `goaways spread: ${arrivals.join(', ')} ms`);
});
