// End to end with the official TypeScript SDK client, over Streamable HTTP and over stdio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, startDaemon, tempDir } from './lib/daemon.mjs';
import { Client, StdioClientTransport, StreamableHTTPClientTransport } from './lib/sdk.mjs';

async function exercise(client) {
  const info = client.getServerVersion();
  assert.equal(info.name, 'shield-mcp');
  assert.match(info.version, /^\d+\.\d+\.\d+$/);
  const caps = client.getServerCapabilities();
  assert.ok(caps.tools, 'tools capability advertised');
  assert.ok(caps.logging, 'logging capability advertised');
  assert.deepEqual(await client.ping(), {});
  const tools = await client.listTools();
  assert.ok(Array.isArray(tools.tools));
  assert.deepEqual(await client.setLoggingLevel('warning'), {});
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /no_such_tool/);
}

test('SDK client over Streamable HTTP', async (t) => {
  const d = await startDaemon();
  t.after(() => d.stop());
  const client = new Client({ name: 'sdk-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(d.mcpUrl));
  await client.connect(transport);
  assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
  await exercise(client);
  await transport.terminateSession();
  await client.close();
});

test('SDK client over stdio: JSON-RPC on stdout, logs on stderr only', async () => {
  const transport = new StdioClientTransport({
    command: BIN,
    args: ['--stdio', '--metrics-listen', '127.0.0.1:0'],
    env: {
      PATH: process.env.PATH,
      SHIELD_MCP_LOGGING_LEVEL: 'debug',
      SHIELD_MCP_JOBS_STATE_DIR: tempDir('shield-state-'),
    },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'sdk-e2e-stdio', version: '1.0.0' });
  // Any non-JSON line on stdout would surface here as a transport error.
  const errors = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  await exercise(client);
  await client.close();
  assert.deepEqual(errors, []);
  assert.match(stderr, /stdin closed|shut/i);
});
