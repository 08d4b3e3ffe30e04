// The strict fake backends as the integration tests use them: started in-process (or as
// a child process when the test's own event loop would slow them), driven through their
// /_control API, and asked for contract violations after each test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const kFakesProgram = join(import.meta.dirname, '..', '..', 'fakes', 'fake_backends.mjs');

// In-process fakes: {urls, servers, close()}. Never block this process (no spawnSync)
// while they run, or every backend call times out.
export const { startFakes } = await import(kFakesProgram);

// Starts the fakes as a child process and resolves with {urls, close()} once they print
// their one JSON line. The child also exits when its stdin closes, so a test that dies
// does not leave it behind.
export function spawnFakes(names) {
  const args = [kFakesProgram, '--quiet', ...names.flatMap((name) => [`--${name}`, '0'])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the fakes did not start within 10 s'));
    }, 10_000);
    child.on('exit', (code) => reject(new Error(`the fakes exited with ${code} before listening`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      resolve({
        urls: JSON.parse(out.slice(0, end)),
        async close() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

// One call to a fake's control API (or any of its routes): {status, json}.
export async function control(base, method, path, body) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

// Asks one fake that is up for the violations of all of them (all=1).
export async function expectNoViolations(anyFakeUrl) {
  const { json } = await control(anyFakeUrl, 'GET', '/_control/violations?all=1');
  assert.equal(json.count, 0, `contract violations:\n${JSON.stringify(json.violations, null, 2)}`);
}
