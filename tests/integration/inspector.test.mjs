// The MCP Inspector's CLI mode as a real client, over Streamable HTTP and over stdio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, startDaemon, tempDir } from './lib/daemon.mjs';
import { startFakes } from './lib/fakes.mjs';
import { nodeModules } from './lib/sdk.mjs';

const bin = join(nodeModules, '.bin');
// The default (read-write) catalog: the backend layer's three tools and the two of the jobs.
const kTools = ['get_job_status', 'ingest_doc', 'lightrag_query', 'qdrant_find', 'qdrant_store'];

// Asynchronous on purpose: the fakes live in this process, so a synchronous spawn would
// stall them and turn every backend call into a timeout.
function inspector(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, 'node'), [join(bin, 'mcp-inspector'), '--cli', ...args], {
      // Its catalog file goes to a scratch HOME, not the developer's.
      env: { ...process.env, ...env, HOME: tempDir('shield-insp-'), PATH: `${bin}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      try {
        assert.equal(status, 0, `${stdout}\n${stderr}`);
        resolve(JSON.parse(stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function assertCatalog(listed) {
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), kTools);
  for (const tool of listed.tools) {
    assert.equal(tool.inputSchema.type, 'object', `${tool.name} input schema`);
    assert.equal(tool.outputSchema.type, 'object', `${tool.name} output schema`);
    assert.equal(typeof tool.description, 'string');
    assert.ok(tool.description.length > 40, `${tool.name} needs a real description`);
  }
  const byName = Object.fromEntries(listed.tools.map((t) => [t.name, t]));
  assert.equal(byName.qdrant_find.annotations.readOnlyHint, true);
  assert.equal(byName.lightrag_query.annotations.readOnlyHint, true);
  assert.equal(byName.qdrant_store.annotations.destructiveHint, false);
  assert.equal(byName.qdrant_store.annotations.idempotentHint, true);
  assert.equal(byName.get_job_status.annotations.readOnlyHint, true);
  assert.equal(byName.ingest_doc.execution.taskSupport, 'optional');
}

test('Inspector CLI lists tools, resources and prompts over HTTP', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  assertCatalog(await inspector([d.mcpUrl, '--transport', 'http', '--method', 'tools/list']));
  assert.deepEqual(await inspector([d.mcpUrl, '--transport', 'http', '--method', 'resources/list']), {
    resources: [],
  });
  assert.deepEqual(await inspector([d.mcpUrl, '--transport', 'http', '--method', 'prompts/list']), {
    prompts: [],
  });
});

test('Inspector CLI calls qdrant_store then qdrant_find against the fakes', async (t) => {
  const fakes = await startFakes({ qdrant: 0, ollama: 0 });
  t.after(() => fakes.close());
  const d = await startDaemon({
    env: {
      SHIELD_MCP_QDRANT_URL: fakes.urls.qdrant,
      SHIELD_MCP_EMBEDDER_URL: fakes.urls.ollama,
      SHIELD_MCP_EMBEDDER_PROVIDER: 'ollama',
      SHIELD_MCP_EMBEDDER_MODEL: 'nomic-embed-text',
    },
  });
  t.after(() => d.stop());
  const http = [d.mcpUrl, '--transport', 'http', '--method', 'tools/call'];
  const stored = await inspector([...http, '--tool-name', 'qdrant_store', '--tool-arg',
    'text=The inspector stores this sentence about lighthouses.']);
  assert.notEqual(stored.isError, true, JSON.stringify(stored));
  assert.equal(stored.structuredContent.stored, 1);
  const found = await inspector([...http, '--tool-name', 'qdrant_find', '--tool-arg', 'query=lighthouses']);
  assert.notEqual(found.isError, true, JSON.stringify(found));
  assert.equal(found.structuredContent.results[0].document,
    'The inspector stores this sentence about lighthouses.');
});

test('Inspector CLI over stdio', async () => {
  assertCatalog(await inspector([
    '--method', 'tools/list',
    // The daemon's job journal goes to a scratch directory, not the working directory.
    '-e', `SHIELD_MCP_JOBS_STATE_DIR=${tempDir('shield-state-')}`,
    '--', BIN, '--stdio', '--metrics-listen', '127.0.0.1:0',
  ]));
});
