// Liveness, readiness and auth exemptions; graceful shutdown on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { openSession } from './lib/mcp_http.mjs';

test('/healthz answers ok; /readyz reports listeners and sessions', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const health = await fetch(`${d.baseUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });

  await openSession(d.mcpUrl);
  const ready = await fetch(`${d.baseUrl}/readyz`);
  assert.equal(ready.status, 200);
  const body = await ready.json();
  assert.equal(body.status, 'ready');
  assert.equal(body.listeners.mcp, d.address);
  assert.match(body.listeners.metrics, /^127\.0\.0\.1:\d+$/);
  assert.equal(body.sessions, 1);
});

test('with auth on: /healthz is exempt, /readyz and /mcp need a token', async (t) => {
  const d = await startDaemon({ env: { SHIELD_MCP_SERVER_AUTH_TOKENS: 'tok-a,tok-b' } });
  t.after(() => d.stop());
  assert.equal((await fetch(`${d.baseUrl}/healthz`)).status, 200);

  const noToken = await fetch(`${d.baseUrl}/readyz`);
  assert.equal(noToken.status, 401);
  assert.match(noToken.headers.get('www-authenticate'), /^Bearer/);

  const wrong = await fetch(d.mcpUrl, {
    method: 'POST',
    headers: { authorization: 'Bearer tok-c', 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate'), /invalid_token/);

  for (const token of ['tok-a', 'tok-b']) {
    const s = await openSession(d.mcpUrl, '2025-11-25', { authorization: `Bearer ${token}` });
    assert.match(s.sessionId, /^[0-9a-f]{32}$/);
  }
  assert.ok(!d.logs().includes('tok-a'), 'a token leaked into the logs');
});

test('SIGTERM: stops accepting, closes streams and exits 0', async () => {
  const d = await startDaemon({ env: { SHIELD_MCP_SERVER_SHUTDOWN_GRACE_MS: '5000' } });
  const s = await openSession(d.mcpUrl);
  // An open server-to-client stream must not hold the shutdown up to the grace period.
  const controller = new AbortController();
  const stream = await fetch(d.mcpUrl, {
    headers: { accept: 'text/event-stream', ...s.headers },
    signal: controller.signal,
  });
  assert.equal(stream.status, 200);
  const started = Date.now();
  const { code, signal } = await d.stop('SIGTERM');
  controller.abort();
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 4000, `shutdown took ${Date.now() - started} ms`);
  await assert.rejects(fetch(`${d.baseUrl}/healthz`));
});
