// Starts the real shield-mcp binary on free loopback ports and stops it again.
// Every test that calls startDaemon() must call stop() (use t.after / finally).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.SHIELD_MCP_BIN;
if (!BIN) throw new Error('SHIELD_MCP_BIN is not set (ctest sets it to the built daemon)');

export function tempDir(prefix = 'shield-it-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(text) {
  const file = join(tempDir(), 'shield-mcp.toml');
  writeFileSync(file, text);
  return file;
}

// Runs the binary to completion (for --version, --check-config, ...).
export function runOnce(args, { env = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: daemonEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// The daemon must not see the developer's SHIELD_MCP_* variables. Every daemon gets its own
// job state directory (the journal is locked by one daemon at a time, and a test must not
// leave jobs in the working directory) unless the test names one.
export function daemonEnv(env = {}) {
  const clean = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHIELD_MCP_')) clean[k] = v;
  return { ...clean, ...env, SHIELD_MCP_JOBS_STATE_DIR: env.SHIELD_MCP_JOBS_STATE_DIR ?? tempDir('shield-state-') };
}

// Starts `shield-mcp` listening on 127.0.0.1:0 (MCP and metrics) and resolves once both
// addresses are logged. Returns { mcpUrl, baseUrl, metricsUrl, child, logs(), stop(signal) }.
export function startDaemon({ args = [], env = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      BIN,
      ['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', ...args],
      { env: daemonEnv(env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    let mcp;
    let metrics;
    let settled = false;
    const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`daemon did not report its listeners within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      mcp ??= stderr.match(/MCP endpoint http:\/\/([^\s/"]+)\/mcp/)?.[1];
      metrics ??= stderr.match(/metrics endpoint http:\/\/([^\s/"]+)\/metrics/)?.[1];
      if (!settled && mcp && metrics) {
        settled = true;
        clearTimeout(timer);
        resolve({
          child,
          mcpUrl: `http://${mcp}/mcp`,
          baseUrl: `http://${mcp}`,
          metricsUrl: `http://${metrics}/metrics`,
          address: mcp,
          logs: () => stderr,
          stdout: () => stdout,
          exited,
          async stop(signal = 'SIGTERM', graceMs = 15_000) {
            if (child.exitCode !== null || child.signalCode !== null) return exited;
            child.kill(signal);
            const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            const result = await exited;
            clearTimeout(killer);
            return result;
          },
        });
      }
    });
    child.on('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening:\n${stderr}`));
    });
  });
}
