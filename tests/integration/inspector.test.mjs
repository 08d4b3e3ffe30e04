// The MCP Inspector's CLI mode as a real client, over Streamable HTTP and over stdio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, startDaemon, tempDir } from './lib/daemon.mjs';
import { nodeModules } from './lib/sdk.mjs';

const bin = join(nodeModules, '.bin');

function inspector(args) {
  const r = spawnSync(join(bin, 'node'), [join(bin, 'mcp-inspector'), '--cli', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    // Its catalog file goes to a scratch HOME, not the developer's.
    env: { ...process.env, HOME: tempDir('shield-insp-'), PATH: `${bin}:${process.env.PATH}` },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('Inspector CLI lists tools, resources and prompts over HTTP', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  assert.deepEqual(inspector([d.mcpUrl, '--transport', 'http', '--method', 'tools/list']), {
    tools: [],
  });
  assert.deepEqual(inspector([d.mcpUrl, '--transport', 'http', '--method', 'resources/list']), {
    resources: [],
  });
  assert.deepEqual(inspector([d.mcpUrl, '--transport', 'http', '--method', 'prompts/list']), {
    prompts: [],
  });
});

test('Inspector CLI over stdio', () => {
  const out = inspector([
    '--method', 'tools/list', '--', BIN, '--stdio', '--metrics-listen', '127.0.0.1:0',
  ]);
  assert.deepEqual(out, { tools: [] });
});
