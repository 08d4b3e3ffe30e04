// lightrag_query end to end: the real daemon and the official TypeScript SDK client against
// the strict fake orchestrator (POST /lightrag/query, the default route) and the fake
// LightRAG server (POST /query with X-API-Key, lightrag.mode = "direct"). Each fake checks
// every request body against its contract; a mismatch fails the test that caused it.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { control, expectNoViolations as expectNoViolationsAt, startFakes } from './lib/fakes.mjs';
import { Client, StreamableHTTPClientTransport } from './lib/sdk.mjs';

const kLightragKey = 'lightrag-key-7Qm2';

const kDocuments = [
  {
    text: 'The circuit breaker opens after five consecutive failures and stays open for sixty seconds.',
    metadata: { source: 'https://docs.example.com/resilience/breakers', title: 'Circuit breakers' },
  },
  {
    text: 'Pasta needs salted boiling water and about nine minutes of cooking.',
    metadata: { source: 'https://recipes.example.com/pasta', title: 'Pasta basics' },
  },
];

async function connect(daemon) {
  const client = new Client({ name: 'tools-lightrag-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(daemon.mcpUrl));
  await client.connect(transport);
  const listed = await client.listTools(); // loads the output schema the SDK then enforces
  return { client, tools: listed.tools };
}

function env(urls, extra = {}) {
  return {
    SHIELD_MCP_QDRANT_URL: urls.qdrant,
    SHIELD_MCP_EMBEDDER_URL: urls.ollama,
    SHIELD_MCP_ORCHESTRATOR_URL: urls.orchestrator,
    SHIELD_MCP_LIGHTRAG_URL: urls.lightrag,
    ...extra,
  };
}

async function expectNoViolations(urls) {
  // Asked of the Qdrant fake (never taken down here).
  await expectNoViolationsAt(urls.qdrant);
}

function errorOf(result) {
  assert.equal(result.isError, true, `expected an error result, got ${JSON.stringify(result)}`);
  return result.structuredContent.error;
}

describe('lightrag_query through the orchestrator (default)', () => {
  let fakes;
  let daemon;
  let session;

  before(async () => {
    fakes = await startFakes({ qdrant: 0, ollama: 0, orchestrator: 0, lightrag: 0, apiKeyLightrag: kLightragKey });
    await control(fakes.urls.orchestrator, 'POST', '/_control/documents', { documents: kDocuments });
    daemon = await startDaemon({
      env: env(fakes.urls, {
        SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_ATTEMPTS: '1',
        SHIELD_MCP_ORCHESTRATOR_BREAKER_OPEN_MS: '500',
      }),
    });
    session = await connect(daemon);
  });

  after(async () => {
    await session?.client.close();
    await daemon?.stop();
    await fakes?.close();
  });

  afterEach(async () => {
    await expectNoViolations(fakes.urls);
    await control(fakes.urls.qdrant, 'POST', '/_control/reset?all=1', { keep_data: true });
  });

  test('the tool is listed as read-only with a strict schema', () => {
    const tool = session.tools.find((t) => t.name === 'lightrag_query');
    assert.ok(tool);
    assert.equal(tool.annotations.readOnlyHint, true);
    assert.equal(tool.inputSchema.additionalProperties, false);
    assert.deepEqual(tool.inputSchema.properties.mode.enum, ['local', 'global', 'hybrid', 'naive', 'mix', 'bypass']);
    assert.equal(tool.inputSchema.properties.mode.default, 'mix');
  });

  test('a question is answered with references to the source documents', async () => {
    const result = await session.client.callTool({
      name: 'lightrag_query',
      arguments: { query: 'When does the circuit breaker open?' },
    });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    const answer = result.structuredContent;
    assert.equal(answer.route, 'orchestrator');
    assert.equal(answer.mode, 'mix');
    assert.match(answer.answer, /circuit breaker opens after five consecutive failures/);
    assert.deepEqual(answer.references[0], {
      reference_id: '1',
      file_path: 'https://docs.example.com/resilience/breakers',
      title: 'Circuit breakers',
    });
    assert.match(result.content[0].text, /\n\nReferences:\n\[1\] Circuit breakers — https:\/\/docs\.example\.com\/resilience\/breakers/);

    const { json } = await control(fakes.urls.orchestrator, 'GET', '/_control/requests');
    assert.equal(json.by_route['POST /lightrag/query'], 1);
  });

  test('every option reaches the orchestrator in its contract shape', async () => {
    const result = await session.client.callTool({
      name: 'lightrag_query',
      arguments: {
        query: 'circuit breaker',
        mode: 'hybrid',
        top_k: 1,
        only_need_context: true,
        response_type: 'Bullet Points',
        conversation_history: [
          { role: 'user', content: 'We are tuning the Qdrant backend.' },
          { role: 'assistant', content: 'Which setting do you want to change?' },
        ],
      },
    });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    assert.equal(result.structuredContent.mode, 'hybrid');
    // only_need_context: the retrieved context itself; top_k 1: one document.
    assert.equal(result.structuredContent.answer, `[1] ${kDocuments[0].text}`);
    assert.equal(result.structuredContent.references.length, 1);
  });

  test('bypass mode skips retrieval', async () => {
    const result = await session.client.callTool({
      name: 'lightrag_query',
      arguments: { query: 'hello there', mode: 'bypass' },
    });
    assert.equal(result.structuredContent.answer, 'Direct answer (bypass) to: hello there');
    assert.deepEqual(result.structuredContent.references, []);
  });

  test('bad arguments never reach the orchestrator', async () => {
    const result = await session.client.callTool({
      name: 'lightrag_query',
      arguments: { query: 'q', mode: 'deep' },
    });
    assert.equal(errorOf(result).code, 'invalid_arguments');
    const { json } = await control(fakes.urls.orchestrator, 'GET', '/_control/requests');
    assert.equal(json.total, 0);
  });

  test('an orchestrator error is a backend error naming the orchestrator', async () => {
    await control(fakes.urls.orchestrator, 'POST', '/_control/faults', { route: 'POST /lightrag/query', status: 503, times: 1 });
    const error = errorOf(await session.client.callTool({ name: 'lightrag_query', arguments: { query: 'circuit breaker' } }));
    assert.equal(error.code, 'backend_unavailable');
    assert.equal(error.backend, 'orchestrator');
    assert.equal(error.http_status, 503);
  });

  test('the orchestrator down: backend_unavailable, breaker opens after 5, recovers', async () => {
    await control(fakes.urls.orchestrator, 'POST', '/_control/down', {});
    try {
      for (let i = 1; i <= 5; i++) {
        const error = errorOf(await session.client.callTool({ name: 'lightrag_query', arguments: { query: `q ${i}` } }));
        assert.equal(error.code, 'backend_unavailable');
        assert.equal(error.backend, 'orchestrator');
      }
      const fast = errorOf(await session.client.callTool({ name: 'lightrag_query', arguments: { query: 'q 6' } }));
      assert.match(fast.message, /retrying in \d+ s/);
      assert.ok(fast.retry_after_s >= 1);
      const metrics = await (await fetch(daemon.metricsUrl)).text();
      assert.match(metrics, /circuit_breaker_state\{backend="orchestrator"\} 1/);
    } finally {
      await control(fakes.urls.qdrant, 'POST', '/_control/up', { fake: 'orchestrator' });
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    const recovered = await session.client.callTool({ name: 'lightrag_query', arguments: { query: 'circuit breaker' } });
    assert.equal(recovered.isError, undefined, JSON.stringify(recovered));
  });
});

describe('lightrag_query straight to a LightRAG server (mode "direct")', () => {
  let fakes;
  let daemon;
  let session;

  before(async () => {
    fakes = await startFakes({ qdrant: 0, ollama: 0, orchestrator: 0, lightrag: 0, apiKeyLightrag: kLightragKey });
    await control(fakes.urls.lightrag, 'POST', '/_control/documents', {
      documents: kDocuments.map((d) => ({ text: d.text, file_path: d.metadata.source })),
    });
    daemon = await startDaemon({
      env: env(fakes.urls, { SHIELD_MCP_LIGHTRAG_MODE: 'direct', SHIELD_MCP_LIGHTRAG_API_KEY: kLightragKey }),
    });
    session = await connect(daemon);
  });

  after(async () => {
    await session?.client.close();
    await daemon?.stop();
    await fakes?.close();
  });

  afterEach(async () => {
    await expectNoViolations(fakes.urls);
    await control(fakes.urls.qdrant, 'POST', '/_control/reset?all=1', { keep_data: true });
  });

  test('the question goes to LightRAG /query with the API key and comes back with references', async () => {
    const result = await session.client.callTool({
      name: 'lightrag_query',
      arguments: { query: 'When does the circuit breaker open?', top_k: 2, response_type: 'Single Paragraph' },
    });
    assert.equal(result.isError, undefined, JSON.stringify(result));
    assert.equal(result.structuredContent.route, 'direct');
    assert.match(result.structuredContent.answer, /circuit breaker opens after five consecutive failures/);
    assert.equal(result.structuredContent.references[0].file_path, 'https://docs.example.com/resilience/breakers');

    const { json: lightrag } = await control(fakes.urls.lightrag, 'GET', '/_control/requests');
    assert.equal(lightrag.by_route['POST /query'], 1);
    const { json: orchestrator } = await control(fakes.urls.orchestrator, 'GET', '/_control/requests');
    assert.equal(orchestrator.total, 0, 'the orchestrator is not involved');
  });

  test('a wrong API key is a rejected call, not an outage', async () => {
    await control(fakes.urls.lightrag, 'POST', '/_control/faults', {
      route: 'POST /query',
      status: 403,
      body: { detail: 'Invalid API Key' },
      times: 1,
    });
    const error = errorOf(await session.client.callTool({ name: 'lightrag_query', arguments: { query: 'circuit breaker' } }));
    assert.equal(error.code, 'backend_rejected');
    assert.equal(error.backend, 'lightrag');
    assert.equal(error.http_status, 403);
  });
});
