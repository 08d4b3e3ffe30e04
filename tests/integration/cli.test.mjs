// The command-line contract: --version, --print-default-config, --check-config, and the
// precedence file < environment < flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnce, startDaemon, writeConfig } from './lib/daemon.mjs';

const repo = join(import.meta.dirname, '..', '..');

test('--version prints name and semantic version', async () => {
  const r = await runOnce(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^shield-mcp \d+\.\d+\.\d+\n$/);
});

test('--print-default-config prints the shipped, documented config', async () => {
  const r = await runOnce(['--print-default-config']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, readFileSync(join(repo, 'config', 'shield-mcp.toml'), 'utf8'));
});

test('--print-default-config never shows secrets from the environment', async () => {
  const r = await runOnce(['--print-default-config'], {
    env: { SHIELD_MCP_SERVER_AUTH_TOKENS: 'sekret-token-value-123' },
  });
  assert.equal(r.code, 0);
  assert.ok(!r.stdout.includes('sekret-token-value-123'));
});

test('--check-config accepts the shipped config', async () => {
  const r = await runOnce(['--check-config', '--config', join(repo, 'config', 'shield-mcp.toml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /configuration OK/);
});

test('--check-config names an unknown key and suggests the right one', async () => {
  const file = writeConfig('[server]\nlistn = "127.0.0.1:1"\n');
  const r = await runOnce(['--check-config', '--config', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /server\.listn/);
  assert.match(r.stderr, /listen/);
});

test('--check-config names a key with the wrong type and says why', async () => {
  const file = writeConfig('[server]\nmax_body_bytes = "big"\n');
  const r = await runOnce(['--check-config', '--config', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /server\.max_body_bytes/);
  assert.match(r.stderr, /integer/);
});

test('--check-config rejects a bad environment override, naming the variable', async () => {
  const r = await runOnce(['--check-config'], { env: { SHIELD_MCP_LOGGING_LEVEL: 'loud' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /SHIELD_MCP_LOGGING_LEVEL|logging\.level/);
  assert.match(r.stderr, /loud/);
});

test('a bad --listen is refused with a clear message', async () => {
  const r = await runOnce(['--listen', 'nonsense']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--listen/);
  assert.match(r.stderr, /HOST:PORT/);
});

test('flags override the environment, which overrides the file', async (t) => {
  const file = writeConfig('[server]\nlisten = "127.0.0.1:1"\n[logging]\nlevel = "warn"\n');
  // The file says port 1 and level warn; env raises the level to info so the listener
  // line is logged; the --listen flag (added by startDaemon) must win over the file.
  const d = await startDaemon({
    args: ['--config', file],
    env: { SHIELD_MCP_LOGGING_LEVEL: 'info' },
  });
  t.after(() => d.stop());
  assert.notEqual(d.address, '127.0.0.1:1');
  const res = await fetch(`${d.baseUrl}/healthz`);
  assert.equal(res.status, 200);
});

test('a port already in use fails start-up with the address and reason', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const r = await runOnce(['--listen', d.address, '--metrics-listen', '127.0.0.1:0']);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(d.address), r.stderr);
  assert.match(r.stderr, /in use/i);
});
