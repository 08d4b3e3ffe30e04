// Hostile and broken requests: each gets the right HTTP status and JSON-RPC code, and the
// daemon stays up and keeps serving afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { ACCEPT_BOTH, initializeRequest, openSession, post, rawExchange } from './lib/mcp_http.mjs';

let d;
before(async () => {
  d = await startDaemon({
    env: {
      SHIELD_MCP_SERVER_MAX_BODY_BYTES: String(64 * 1024),
      SHIELD_MCP_SERVER_HEADER_TIMEOUT_MS: '400',
    },
  });
});
after(async () => {
  // Still alive after everything below.
  const res = await fetch(`${d.baseUrl}/healthz`);
  assert.equal(res.status, 200);
  const { code } = await d.stop();
  assert.equal(code, 0);
});

test('malformed JSON → 400 with -32700 and id null', async () => {
  const r = await post(d.mcpUrl, '{"jsonrpc":"2.0","id":1,"method":');
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, -32700);
  assert.equal(r.json.id, null);
});

test('wrong Content-Type → 415', async () => {
  const r = await post(d.mcpUrl, initializeRequest(), { 'content-type': 'text/plain' });
  assert.equal(r.status, 415);
  assert.match(r.text, /application\/json/);
});

test('Accept without text/event-stream → 406', async () => {
  const r = await post(d.mcpUrl, initializeRequest(), { accept: 'application/json' });
  assert.equal(r.status, 406);
  assert.match(r.text, /text\/event-stream/);
});

test('oversized body → 413 naming the limit', async () => {
  const big = JSON.stringify({ ...initializeRequest(), pad: 'x'.repeat(70 * 1024) });
  const r = await post(d.mcpUrl, big);
  assert.equal(r.status, 413);
  assert.match(r.text, /65536/);
});

test('request without a session → 400; unknown session → 404', async () => {
  const ping = { jsonrpc: '2.0', id: 7, method: 'ping' };
  const missing = await post(d.mcpUrl, ping, { 'mcp-protocol-version': '2025-11-25' });
  assert.equal(missing.status, 400);
  assert.match(missing.text, /Mcp-Session-Id/i);
  const unknown = await post(d.mcpUrl, ping, {
    'mcp-session-id': '0123456789abcdef0123456789abcdef',
    'mcp-protocol-version': '2025-11-25',
  });
  assert.equal(unknown.status, 404);
});

test('a deleted session answers 404 afterwards', async () => {
  const s = await openSession(d.mcpUrl);
  const del = await fetch(d.mcpUrl, { method: 'DELETE', headers: s.headers });
  assert.ok([200, 204].includes(del.status), `DELETE answered ${del.status}`);
  const r = await post(d.mcpUrl, { jsonrpc: '2.0', id: 2, method: 'ping' }, s.headers);
  assert.equal(r.status, 404);
});

test('unsupported MCP-Protocol-Version header → 400 listing the supported ones', async () => {
  const s = await openSession(d.mcpUrl);
  const r = await post(d.mcpUrl, { jsonrpc: '2.0', id: 3, method: 'ping' }, {
    ...s.headers,
    'mcp-protocol-version': '1999-01-01',
  });
  assert.equal(r.status, 400);
  assert.match(r.text, /2025-06-18/);
});

test('initialize with an unknown revision negotiates our latest', async () => {
  const r = await post(d.mcpUrl, initializeRequest('2024-01-01'));
  assert.equal(r.status, 200);
  const result = r.json.result ?? r.json.response.result;
  assert.equal(result.protocolVersion, '2025-11-25');
});

test('nesting deeper than the limit is refused, the daemon unharmed', async () => {
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const r = await post(d.mcpUrl, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${deep}}}`);
  assert.equal(r.status, 400);
  assert.ok([-32700, -32600].includes(r.json.error.code), r.text);
  assert.match(r.json.error.message, /depth|nest/i);
});

test('invalid Origin → 403 (DNS rebinding); invalid Host → 403', async () => {
  const origin = await post(d.mcpUrl, initializeRequest(), { origin: 'http://evil.example' });
  assert.equal(origin.status, 403);
  const [, port] = d.address.split(':');
  const host = await rawExchange(d.address, [
    `GET /mcp HTTP/1.1\r\nHost: evil.example:${port}\r\nAccept: text/event-stream\r\n\r\n`,
  ]);
  assert.match(host.data, /^HTTP\/1\.1 403/);
});

test('slow-loris: a client trickling headers is cut off at the header timeout', async () => {
  const chunks = ['POST /mcp HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n'];
  for (let i = 0; i < 40; i++) chunks.push(`X-Slow-${i}: a\r\n`);
  const r = await rawExchange(d.address, chunks, { gapMs: 100, timeoutMs: 4000 });
  assert.ok(r.closedByServer, 'server kept a slow-loris connection open');
  assert.ok(r.elapsedMs < 2500, `closed only after ${r.elapsedMs} ms (timeout 400 ms)`);
});

test('a JSON-RPC request with a bad shape gets -32600', async () => {
  const s = await openSession(d.mcpUrl);
  const r = await post(d.mcpUrl, { jsonrpc: '1.0', id: 5, method: 'ping' }, s.headers);
  const body = r.json.error ? r.json : r.json.response;
  assert.equal(body.error.code, -32600);
});

test('unknown method → -32601 naming it', async () => {
  const s = await openSession(d.mcpUrl);
  const r = await post(d.mcpUrl, { jsonrpc: '2.0', id: 6, method: 'nope/never' }, s.headers);
  const body = r.json.error ? r.json : r.json.response;
  assert.equal(body.error.code, -32601);
  assert.match(body.error.message, /nope\/never/);
});

test('GET without Accept: text/event-stream → 406', async () => {
  const s = await openSession(d.mcpUrl);
  const res = await fetch(d.mcpUrl, { headers: { ...s.headers, accept: 'application/json' } });
  assert.equal(res.status, 406);
});

test('a body of only a notification → 202 with no body', async () => {
  const s = await openSession(d.mcpUrl);
  const r = await post(d.mcpUrl, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, {
    ...s.headers,
    accept: ACCEPT_BOTH,
  });
  assert.equal(r.status, 202);
  assert.equal(r.text, '');
});
