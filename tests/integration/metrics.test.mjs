// The metrics listener: Prometheus text format that promtool accepts, the documented
// families, and labels that stay bounded (no session or request ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startDaemon } from './lib/daemon.mjs';
import { openSession, post } from './lib/mcp_http.mjs';

test('metrics: promtool-clean, documented families, bounded labels', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const sessions = [];
  for (let i = 0; i < 3; i++) sessions.push(await openSession(d.mcpUrl));
  await post(d.mcpUrl, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, sessions[0].headers);
  await fetch(`${d.baseUrl}/healthz`);
  await fetch(`${d.baseUrl}/no-such-path-${Date.now()}`);

  const res = await fetch(d.metricsUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();

  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
  assert.equal((lint.stdout + lint.stderr).trim(), '', 'promtool reported lint problems');

  // tool_calls_total / tool_duration_seconds appear once a tool is registered (unit test
  // tests/unit/metrics/metrics_test.cpp); the daemon registers its tools in later issues.
  for (const family of [
    'api_requests_total',
    'api_duration_seconds',
    'mcp_active_sessions',
    'build_info',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), `missing ${family}`);
  }
  assert.match(text, /^mcp_active_sessions 3$/m);
  assert.match(text, /^api_requests_total\{endpoint="\/mcp",method="POST",status="200"\} \d+/m);
  assert.match(text, /^api_requests_total\{endpoint="other",method="GET",status="404"\} 1$/m);
  assert.match(text, /^build_info\{name="shield-mcp",version="\d+\.\d+\.\d+"\} 1$/m);
  for (const s of sessions) assert.ok(!text.includes(s.sessionId), 'a session id became a label');
  assert.ok(!text.includes('no-such-path'), 'a raw path became a label');
});
