// qdrant_store and qdrant_find end to end: the real daemon, the official TypeScript SDK
// client, and the strict fake Qdrant and Ollama (every request the daemon sends is checked
// against the official OpenAPI documents; a mismatch fails the test that caused it).
// The second half takes the fakes down and injects faults to watch the circuit breaker
// open, fail fast and recover.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { control, expectNoViolations as expectNoViolationsAt, startFakes } from './lib/fakes.mjs';
import { Client, StreamableHTTPClientTransport } from './lib/sdk.mjs';

const kModel = 'nomic-embed-text'; // 768 dimensions in the fake Ollama

const kBreakerText =
  'A circuit breaker stops calls to a failing backend: after five consecutive failures it ' +
  'opens, fails fast for sixty seconds, then lets one probe call through.';
const kPastaText = 'Boil the pasta in salted water for nine minutes, then toss it with olive oil and garlic.';
const kGardenText = 'Water tomato plants early in the morning and mulch the soil to keep it moist.';

async function connect(daemon) {
  const client = new Client({ name: 'tools-qdrant-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(daemon.mcpUrl));
  await client.connect(transport);
  // Loads the output schemas, so the SDK checks every structuredContent against them.
  const listed = await client.listTools();
  return { client, transport, tools: listed.tools };
}

function backendEnv(urls, extra = {}) {
  return {
    SHIELD_MCP_QDRANT_URL: urls.qdrant,
    SHIELD_MCP_EMBEDDER_URL: urls.ollama,
    SHIELD_MCP_EMBEDDER_PROVIDER: 'ollama',
    SHIELD_MCP_EMBEDDER_MODEL: kModel,
    SHIELD_MCP_ORCHESTRATOR_URL: urls.orchestrator,
    SHIELD_MCP_LIGHTRAG_URL: urls.lightrag,
    ...extra,
  };
}

async function expectNoViolations(urls) {
  // Asked of the orchestrator fake (never taken down here).
  await expectNoViolationsAt(urls.orchestrator);
}

async function pointsIn(urls, collection) {
  const { status, json } = await control(urls.qdrant, 'GET', `/collections/${encodeURIComponent(collection)}`);
  assert.equal(status, 200, `collection ${collection} should exist`);
  return json.result.points_count;
}

function errorOf(result) {
  assert.equal(result.isError, true, `expected an error result, got ${JSON.stringify(result)}`);
  return result.structuredContent.error;
}

describe('qdrant tools against healthy fakes', () => {
  let fakes;
  let daemon;
  let session;

  before(async () => {
    fakes = await startFakes({ qdrant: 0, ollama: 0, orchestrator: 0, lightrag: 0 });
    daemon = await startDaemon({ env: backendEnv(fakes.urls, { SHIELD_MCP_QDRANT_COLLECTION: 'kb' }) });
    session = await connect(daemon);
  });

  after(async () => {
    await session?.client.close();
    await daemon?.stop();
    await fakes?.close();
  });

  afterEach(async () => {
    await expectNoViolations(fakes.urls);
    await control(fakes.urls.orchestrator, 'POST', '/_control/reset?all=1', { keep_data: true });
  });

  test('tools/list offers both tools with strict schemas and honest annotations', () => {
    const byName = Object.fromEntries(session.tools.map((t) => [t.name, t]));
    const store = byName.qdrant_store;
    const find = byName.qdrant_find;
    assert.ok(store && find, 'both tools are listed');
    assert.equal(store.inputSchema.additionalProperties, false);
    assert.equal(find.inputSchema.additionalProperties, false);
    assert.deepEqual(find.inputSchema.required, ['query']);
    assert.equal(find.inputSchema.properties.limit.maximum, 100);
    const { title, ...hints } = store.annotations;
    assert.equal(title, 'Store in Qdrant');
    assert.deepEqual(hints, { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    assert.equal(find.annotations.readOnlyHint, true);
    assert.ok(store.outputSchema && find.outputSchema);
  });

  test('store then find ranks the circuit-breaker text first', async () => {
    const stored = await session.client.callTool({
      name: 'qdrant_store',
      arguments: {
        collection: 'ranking',
        entries: [
          { text: kPastaText, metadata: { topic: 'cooking' } },
          { text: kBreakerText, metadata: { topic: 'resilience', source: 'guide.md' } },
          { text: kGardenText, metadata: { topic: 'garden' } },
        ],
      },
    });
    assert.equal(stored.isError, undefined, JSON.stringify(stored));
    const receipt = stored.structuredContent;
    assert.equal(receipt.collection, 'ranking');
    assert.equal(receipt.received, 3);
    assert.equal(receipt.stored, 3);
    assert.equal(receipt.created_collection, true);
    assert.equal(receipt.dimensions, 768);
    assert.equal(receipt.model, kModel);
    assert.equal(new Set(receipt.ids).size, 3);
    for (const id of receipt.ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(stored.content[0].text, /Stored 3 entries in collection 'ranking' \(created it for 768-dim Cosine vectors\)/);

    // The collection was created as configured: one unnamed 768-dim Cosine vector.
    const { json: info } = await control(fakes.urls.qdrant, 'GET', '/collections/ranking');
    assert.deepEqual(info.result.config.params.vectors, { size: 768, distance: 'Cosine' });
    assert.equal(info.result.points_count, 3);

    const found = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'ranking', query: 'circuit breaker', limit: 3 },
    });
    assert.equal(found.isError, undefined, JSON.stringify(found));
    const { results } = found.structuredContent;
    assert.equal(results.length, 3);
    assert.equal(results[0].document, kBreakerText);
    assert.deepEqual(results[0].metadata, { topic: 'resilience', source: 'guide.md' });
    assert.equal(results[0].id, receipt.ids[1]);
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].score >= results[i].score, 'best first');
    assert.ok(results[0].score > results[1].score + 0.1, `a clear winner: ${results.map((r) => r.score)}`);
    assert.match(found.content[0].text, /^3 results from collection 'ranking':\n\n1\. score 0\.\d{4}, id /);
    assert.ok(found.content[0].text.includes(kBreakerText));
  });

  test('limit, offset and score_threshold page through the results', async () => {
    const entries = [kBreakerText, kPastaText, kGardenText].map((text) => ({ text }));
    await session.client.callTool({ name: 'qdrant_store', arguments: { collection: 'paging', entries } });
    const first = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'paging', query: 'circuit breaker backend failures', limit: 1 },
    });
    const second = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'paging', query: 'circuit breaker backend failures', limit: 1, offset: 1 },
    });
    assert.equal(first.structuredContent.results.length, 1);
    assert.equal(first.structuredContent.results[0].document, kBreakerText);
    assert.equal(second.structuredContent.results.length, 1);
    assert.notEqual(second.structuredContent.results[0].document, kBreakerText);

    const all = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'paging', query: 'circuit breaker backend failures' },
    });
    const [best, runnerUp] = all.structuredContent.results.map((r) => r.score);
    assert.ok(best > runnerUp, `${best} > ${runnerUp}`);
    const strict = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'paging', query: 'circuit breaker backend failures', score_threshold: (best + runnerUp) / 2 },
    });
    assert.deepEqual(
      strict.structuredContent.results.map((r) => r.document),
      [kBreakerText],
      'only the close match passes the threshold',
    );
  });

  test('storing the same text again updates the point instead of adding one', async () => {
    const first = await session.client.callTool({
      name: 'qdrant_store',
      arguments: { collection: 'dedupe', text: kBreakerText, metadata: { version: 1 } },
    });
    const again = await session.client.callTool({
      name: 'qdrant_store',
      arguments: { collection: 'dedupe', text: kBreakerText, metadata: { version: 2 } },
    });
    assert.deepEqual(again.structuredContent.ids, first.structuredContent.ids);
    assert.equal(again.structuredContent.created_collection, false);
    assert.equal(await pointsIn(fakes.urls, 'dedupe'), 1);

    const found = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'dedupe', query: 'circuit breaker' },
    });
    assert.equal(found.structuredContent.results.length, 1);
    assert.deepEqual(found.structuredContent.results[0].metadata, { version: 2 });

    // The same text in another collection is another point.
    const elsewhere = await session.client.callTool({
      name: 'qdrant_store',
      arguments: { collection: 'dedupe-2', text: kBreakerText },
    });
    assert.notDeepEqual(elsewhere.structuredContent.ids, first.structuredContent.ids);
  });

  test('a collection deleted behind the daemon\'s back is created again', async () => {
    const first = await session.client.callTool({ name: 'qdrant_store', arguments: { collection: 'recreate', text: kPastaText } });
    assert.equal(first.structuredContent.created_collection, true);
    assert.equal((await control(fakes.urls.qdrant, 'DELETE', '/collections/recreate')).status, 200);
    const second = await session.client.callTool({ name: 'qdrant_store', arguments: { collection: 'recreate', text: kGardenText } });
    assert.equal(second.isError, undefined, JSON.stringify(second));
    assert.equal(second.structuredContent.created_collection, true);
    assert.equal(await pointsIn(fakes.urls, 'recreate'), 1);
  });

  test('a batch is embedded and stored in steps, with progress, and repeats share a point', async () => {
    const entries = Array.from({ length: 70 }, (_, i) => ({
      text: `Entry number ${i} about topic ${i % 7} and item ${i * 13}`,
      metadata: { n: i },
    }));
    entries.push({ text: entries[3].text, metadata: { n: 'repeat' } });
    const progress = [];
    const stored = await session.client.callTool(
      { name: 'qdrant_store', arguments: { collection: 'batch', entries } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    assert.equal(stored.isError, undefined, JSON.stringify(stored));
    assert.equal(stored.structuredContent.received, 71);
    assert.equal(stored.structuredContent.stored, 70);
    assert.equal(stored.structuredContent.ids.length, 71);
    assert.equal(stored.structuredContent.ids[70], stored.structuredContent.ids[3]);
    assert.equal(await pointsIn(fakes.urls, 'batch'), 70);
    assert.deepEqual(
      progress.map((p) => [p.progress, p.total]),
      [
        [64, 70],
        [70, 70],
      ],
    );

    // The embedder batched the 70 texts (batch_size 32) and the store upserted in two steps.
    const { json: ollama } = await control(fakes.urls.ollama, 'GET', '/_control/requests');
    assert.ok((ollama.by_route['POST /api/embed'] ?? 0) >= 3, JSON.stringify(ollama.by_route));
    const { json: upserts } = await control(
      fakes.urls.qdrant,
      'GET',
      `/_control/requests?match=${encodeURIComponent('PUT /collections/batch/points')}`,
    );
    assert.equal(upserts.count, 2);

    // The repeated text kept the last metadata, as a second store would.
    const found = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'batch', query: entries[3].text, limit: 1 },
    });
    assert.deepEqual(found.structuredContent.results[0].metadata, { n: 'repeat' });
  });

  test('a metadata filter narrows the search; a filter outside metadata is refused', async () => {
    await session.client.callTool({
      name: 'qdrant_store',
      arguments: {
        collection: 'filtered',
        entries: [
          { text: 'Circuit breaker guide in English', metadata: { lang: 'en', year: 2024 } },
          { text: 'Circuit breaker Anleitung auf Deutsch', metadata: { lang: 'de', year: 2023 } },
          { text: 'Circuit breaker notes, older', metadata: { lang: 'en', year: 2019 } },
        ],
      },
    });
    const german = await session.client.callTool({
      name: 'qdrant_find',
      arguments: {
        collection: 'filtered',
        query: 'circuit breaker',
        filter: { must: [{ key: 'metadata.lang', match: { value: 'de' } }] },
      },
    });
    assert.deepEqual(
      german.structuredContent.results.map((r) => r.metadata.lang),
      ['de'],
    );
    const recentEnglish = await session.client.callTool({
      name: 'qdrant_find',
      arguments: {
        collection: 'filtered',
        query: 'circuit breaker',
        filter: {
          must: [
            { key: 'metadata.lang', match: { value: 'en' } },
            { key: 'metadata.year', range: { gte: 2020 } },
          ],
        },
      },
    });
    assert.deepEqual(
      recentEnglish.structuredContent.results.map((r) => r.document),
      ['Circuit breaker guide in English'],
    );

    const refused = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'filtered', query: 'x', filter: { must: [{ key: 'document', match: { text: 'x' } }] } },
    });
    const error = errorOf(refused);
    assert.equal(error.code, 'invalid_filter');
    assert.match(error.message, /^filter\.must\[0\]\.key: 'document' is not a metadata key/);
  });

  test('a collection that does not exist gives an empty result with a note', async () => {
    const found = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'never-created', query: 'anything' },
    });
    assert.equal(found.isError, undefined);
    assert.deepEqual(found.structuredContent.results, []);
    assert.match(found.structuredContent.note, /Collection 'never-created' does not exist yet/);
    assert.equal(found.content[0].text, found.structuredContent.note);
    // Nothing was embedded for a search that cannot match.
    const { json } = await control(fakes.urls.ollama, 'GET', '/_control/requests');
    assert.equal(json.by_route['POST /api/embed'] ?? 0, 0);
  });

  test('an existing collection with a named vector is used through that name', async () => {
    const created = await control(fakes.urls.qdrant, 'PUT', '/collections/named', {
      vectors: { dense: { size: 768, distance: 'Cosine' } },
    });
    assert.equal(created.status, 200);
    const stored = await session.client.callTool({
      name: 'qdrant_store',
      arguments: { collection: 'named', entries: [{ text: kBreakerText }, { text: kPastaText }] },
    });
    assert.equal(stored.isError, undefined, JSON.stringify(stored));
    assert.equal(stored.structuredContent.created_collection, false);
    const found = await session.client.callTool({
      name: 'qdrant_find',
      arguments: { collection: 'named', query: 'pasta with garlic' },
    });
    assert.equal(found.structuredContent.results[0].document, kPastaText);
    const { json: state } = await control(fakes.urls.qdrant, 'GET', '/_control/state');
    assert.equal(state.collections.named.points, 2);
  });

  test('a collection made for another vector size is refused with both sizes named', async () => {
    await control(fakes.urls.qdrant, 'PUT', '/collections/small', { vectors: { size: 384, distance: 'Cosine' } });
    for (const name of ['qdrant_store', 'qdrant_find']) {
      const args = name === 'qdrant_store' ? { collection: 'small', text: 'new text' } : { collection: 'small', query: 'x' };
      const error = errorOf(await session.client.callTool({ name, arguments: args }));
      assert.equal(error.code, 'dimension_mismatch');
      assert.match(error.message, /^collection 'small' expects 384-dim vectors but model 'nomic-embed-text' produces 768/);
      assert.equal(error.expected_dimensions, 384);
      assert.equal(error.model_dimensions, 768);
    }
    const { json } = await control(fakes.urls.qdrant, 'GET', `/_control/requests?match=${encodeURIComponent('PUT /collections/small/points')}`);
    assert.equal(json.count, 0, 'nothing was written');
  });

  test('a model Ollama does not have gives the pull command', async () => {
    const { json: before } = await control(fakes.urls.ollama, 'GET', '/_control/models');
    await control(fakes.urls.ollama, 'PUT', '/_control/models', { models: { 'all-minilm': { dims: 384, context: 512 } } });
    try {
      const error = errorOf(
        await session.client.callTool({ name: 'qdrant_store', arguments: { collection: 'nomodel', text: 'text never embedded before' } }),
      );
      assert.equal(error.code, 'backend_rejected');
      assert.equal(error.backend, 'embedder');
      assert.equal(
        error.message,
        `embedding model 'nomic-embed-text' is not available on Ollama at ${fakes.urls.ollama}; pull it with \`ollama pull nomic-embed-text\``,
      );
    } finally {
      await control(fakes.urls.ollama, 'PUT', '/_control/models', before);
    }
  });

  test('the tool calls are counted in the metrics', async () => {
    await session.client.callTool({ name: 'qdrant_find', arguments: { collection: 'metrics', query: 'x' } });
    const text = await (await fetch(daemon.metricsUrl)).text();
    assert.match(text, /tool_calls_total\{[^}]*tool="qdrant_find"[^}]*\} [1-9]/);
    assert.match(text, /embedding_cache_requests_total\{result="miss"\} [1-9]/);
    assert.match(text, /embedding_cache_requests_total\{result="hit"\} [1-9]/);
    assert.match(text, /embedding_cache_entries [1-9]/);
  });
});

describe('qdrant tools when backends fail', () => {
  let fakes;
  let daemon;
  let session;
  const kOpenMs = 1500; // short, yet long enough for the fail-fast checks to run while open

  before(async () => {
    fakes = await startFakes({ qdrant: 0, ollama: 0, orchestrator: 0, lightrag: 0 });
    daemon = await startDaemon({
      env: backendEnv(fakes.urls, {
        SHIELD_MCP_QDRANT_COLLECTION: 'chaos',
        SHIELD_MCP_QDRANT_BREAKER_OPEN_MS: String(kOpenMs),
        SHIELD_MCP_QDRANT_RETRY_MAX_ATTEMPTS: '1',
        SHIELD_MCP_QDRANT_CONNECT_TIMEOUT_MS: '1000',
        SHIELD_MCP_EMBEDDER_RETRY_MAX_ATTEMPTS: '1',
        SHIELD_MCP_EMBEDDER_BREAKER_OPEN_MS: String(kOpenMs),
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
    await control(fakes.urls.orchestrator, 'POST', '/_control/reset?all=1', { keep_data: true });
  });

  async function breakerState(backend) {
    const text = await (await fetch(daemon.metricsUrl)).text();
    const m = text.match(new RegExp(`circuit_breaker_state\\{backend="${backend}"\\} (\\d)`));
    return m ? Number(m[1]) : undefined;
  }

  async function waitForClose(ms) {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  test('Qdrant down: backend_unavailable naming Qdrant, then back to normal', async () => {
    await control(fakes.urls.qdrant, 'POST', '/_control/down', {});
    try {
      const error = errorOf(await session.client.callTool({ name: 'qdrant_find', arguments: { query: 'circuit breaker' } }));
      assert.equal(error.code, 'backend_unavailable');
      assert.equal(error.backend, 'qdrant');
      assert.match(error.message, new RegExp(`Qdrant at ${fakes.urls.qdrant}`));
      assert.ok('retry_after_s' in error && 'detail' in error, JSON.stringify(error));
    } finally {
      await control(fakes.urls.orchestrator, 'POST', '/_control/up', { fake: 'qdrant' });
    }
    const stored = await session.client.callTool({ name: 'qdrant_store', arguments: { text: kBreakerText } });
    assert.equal(stored.isError, undefined, JSON.stringify(stored));
  });

  test('the embedder down is reported as the embedder', async () => {
    await control(fakes.urls.ollama, 'POST', '/_control/down', {});
    try {
      const error = errorOf(
        await session.client.callTool({ name: 'qdrant_store', arguments: { text: 'a text the cache has not seen' } }),
      );
      assert.equal(error.code, 'backend_unavailable');
      assert.equal(error.backend, 'embedder');
    } finally {
      await control(fakes.urls.orchestrator, 'POST', '/_control/up', { fake: 'ollama' });
    }
  });

  test('the breaker opens after 5 failures, fails fast without I/O, and recovers', async () => {
    await control(fakes.urls.qdrant, 'DELETE', '/_control/requests');
    await control(fakes.urls.qdrant, 'POST', '/_control/faults', { route: '* /collections/**', status: 503 });
    for (let i = 1; i <= 5; i++) {
      const error = errorOf(
        await session.client.callTool({ name: 'qdrant_find', arguments: { collection: `gone-${i}`, query: 'q' } }),
      );
      assert.equal(error.code, 'backend_unavailable', `call ${i}`);
      assert.equal(error.backend, 'qdrant');
    }
    assert.equal(await breakerState('qdrant'), 1, 'open after 5 consecutive failures');
    const { json: reached } = await control(fakes.urls.qdrant, 'GET', '/_control/requests?match=' + encodeURIComponent('* /collections/**'));
    assert.equal(reached.count, 5);

    const started = performance.now();
    const fast = errorOf(await session.client.callTool({ name: 'qdrant_find', arguments: { collection: 'gone-6', query: 'q' } }));
    const elapsed = performance.now() - started;
    assert.equal(fast.code, 'backend_unavailable');
    assert.equal(fast.backend, 'qdrant');
    assert.match(fast.message, /unavailable \(.*\); retrying in \d+ s/);
    assert.ok(fast.retry_after_s >= 1, JSON.stringify(fast));
    const { json: after6 } = await control(fakes.urls.qdrant, 'GET', '/_control/requests?match=' + encodeURIComponent('* /collections/**'));
    assert.equal(after6.count, 5, 'no request reached Qdrant while the breaker was open');
    assert.ok(elapsed < 250, `fail-fast round trip took ${elapsed.toFixed(1)} ms`);

    // Neither a search nor a store on a known collection spends an embedding while the
    // breaker is open.
    await control(fakes.urls.ollama, 'DELETE', '/_control/requests');
    for (const [name, args] of [
      ['qdrant_find', { query: 'a query nobody embedded before' }],
      ['qdrant_store', { text: 'a text nobody embedded before' }],
    ]) {
      const refused = errorOf(await session.client.callTool({ name, arguments: args }));
      assert.equal(refused.code, 'backend_unavailable', name);
      assert.equal(refused.backend, 'qdrant', name);
      assert.match(refused.message, /retrying in \d+ s/, name);
    }
    const { json: embeds } = await control(fakes.urls.ollama, 'GET', '/_control/requests');
    assert.equal(embeds.total, 0, 'no embedding request while Qdrant is known to be down');

    // Tools on other backends are unaffected meanwhile.
    assert.equal(await breakerState('embedder'), 0);

    await control(fakes.urls.qdrant, 'DELETE', '/_control/faults');
    await waitForClose(kOpenMs + 100);
    // 'chaos' holds the text stored by the first test of this group.
    const recovered = await session.client.callTool({ name: 'qdrant_find', arguments: { query: 'circuit breaker' } });
    assert.equal(recovered.isError, undefined, JSON.stringify(recovered));
    assert.equal(recovered.structuredContent.results[0].document, kBreakerText);
    assert.equal(await breakerState('qdrant'), 0, 'a successful probe closes the breaker');
  });
});
