// The official conformance suite's fixture-free scenarios against the real daemon (the full
// suite runs against tests/conformance's fixture server). daemon_conformance_baseline.yml
// lists the four checks that need the suite's own diagnostic tools; in baseline mode a
// WARNING counts as a failure, and a listed check that starts passing fails the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, tempDir } from './lib/daemon.mjs';
import { nodeModules } from './lib/sdk.mjs';

const SCENARIOS = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  'server-sse-multiple-streams',
  'dns-rebinding-protection',
  'server-stateless',
  'caching',
];

let d;
before(async () => {
  d = await startDaemon();
});
after(() => d.stop());

for (const scenario of SCENARIOS) {
  test(`conformance ${scenario} against the real daemon`, () => {
    const bin = join(nodeModules, '.bin');
    const out = tempDir('shield-conf-');
    const r = spawnSync(
      join(bin, 'node'),
      [
        join(bin, 'conformance'), 'server', '--url', d.mcpUrl, '--scenario', scenario, '-o', out,
        '--expected-failures', join(import.meta.dirname, 'daemon_conformance_baseline.yml'),
      ],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, output);
    assert.doesNotMatch(output, /Unexpected failures|Stale baseline/i, output);
    assert.match(output, /Passed: \d+\/\d+/, output);
  });
}
