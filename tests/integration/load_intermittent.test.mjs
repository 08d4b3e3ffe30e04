// A bounded load test with intermittent backend failures: 1,500 mixed tool calls
// (qdrant_find, qdrant_store, lightrag_query) from 32 SDK clients at once, while the strict
// fakes flap with 503s, reset connections, hang, rate-limit, and Qdrant drops off the network
// twice. The daemon must stay up, every call must come back within a bound far below the
// test's own timeout, every answer must be a valid result or a backend error the model can
// act on (never a protocol error), and no bulkhead slot may leak: afterwards every backend
// reports zero calls in flight, and a burst of exactly max_in_flight concurrent calls
// succeeds while one more is refused as busy.
//
// The fakes run in their own Node process here, unlike the other integration tests: 32 SDK
// clients keep this process's event loop busy, and fakes sharing that loop would answer
// late, which the daemon would (rightly) see as a slow backend and shed as backend_busy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { control, spawnFakes } from './lib/fakes.mjs';
import { Client, StreamableHTTPClientTransport } from './lib/sdk.mjs';

const kCalls = 1_500;
const kClients = 32;
const kMaxInFlight = 8; // per backend: small, so 32 clients really press on the bulkheads
const kTimeoutMs = 400; // per attempt: the hangs below end here, not at the 10-30 s defaults
const kOpenMs = 250; // breakers open and close several times during the run
// Worst honest call: two attempts of one backend (a 5xx, then a timeout) plus the backoff,
// for each of the two backends a search touches, plus queueing behind 31 other clients.
// Anything slower than this is a call the daemon forgot to finish.
const kCallBoundMs = 5_000;
const kHungMs = 10_000; // the watchdog that turns a hung call into a failure, not a stuck test
const kBackendErrors = new Set(['backend_unavailable', 'backend_timeout', 'backend_busy', 'backend_rejected']);
// The messages of a call an open or probing breaker refused without any I/O.
const kBreakerRefusal = /; retrying in \d+ s$|\(recovering: a probe call is checking it/;
const kModel = 'nomic-embed-text';

const kSeed = [
  'A circuit breaker opens after five consecutive failures and fails fast while open.',
  'The bulkhead caps the calls in flight per backend so one slow service cannot starve the rest.',
  'Retries use jittered exponential backoff and never pass an open breaker.',
  'Embeddings are cached by provider, model and text in a bounded LRU.',
];
// A small vocabulary, so searches repeat (embedding cache hits, no embed request) and also
// vary (misses that go to the flapping embedder).
const kTopics = ['breaker', 'bulkhead', 'retry', 'backoff', 'cache', 'timeout', 'probe', 'latency', 'qdrant', 'ollama', 'embedding', 'failure', 'recovery'];

async function connect(daemon, n) {
  const client = new Client({ name: `load-intermittent-${n}`, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(daemon.mcpUrl)));
  // Loads the output schemas, so the SDK checks every structuredContent against them.
  await client.listTools();
  return client;
}

async function readiness(daemon) {
  const res = await fetch(`${daemon.baseUrl}/readyz`);
  assert.equal(res.status, 200);
  return res.json();
}

async function metric(daemon, pattern) {
  const text = await (await fetch(daemon.metricsUrl)).text();
  const m = text.match(pattern);
  return m ? Number(m[1]) : undefined;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The call for index i: 60 % searches (one in six of them on a collection whose queries
// hang now and then), 20 % stores of new text (into their own collection, so the searched
// ones stay small), 20 % LightRAG questions.
function callFor(i) {
  const slot = i % 10;
  const topic = kTopics[i % kTopics.length];
  if (slot < 6) {
    const collection = slot === 5 ? 'slow' : 'kb';
    return { name: 'qdrant_find', arguments: { collection, query: `how does the ${topic} behave`, limit: 3 } };
  }
  if (slot < 8) {
    return {
      name: 'qdrant_store',
      arguments: { collection: 'notes', text: `Load note ${i}: the ${topic} held up under flapping backends.`, metadata: { n: i } },
    };
  }
  return { name: 'lightrag_query', arguments: { query: `what does the ${topic} do`, mode: 'naive', top_k: 2 } };
}

// What a successful result must hold, per tool (the SDK has already checked the schema).
function checkSuccess(call, result) {
  const content = result.structuredContent;
  assert.ok(content, `${call.name}: no structuredContent`);
  if (call.name === 'qdrant_find') {
    assert.equal(content.collection, call.arguments.collection);
    assert.ok(content.results.length >= 1, `${call.name}: no hits in a seeded collection`);
    for (const hit of content.results) assert.ok(hit.document.length > 0);
  } else if (call.name === 'qdrant_store') {
    assert.equal(content.received, 1);
    assert.equal(content.ids.length, 1);
    assert.equal(content.model, kModel);
  } else {
    assert.equal(content.route, 'orchestrator');
    assert.equal(typeof content.answer, 'string');
    assert.ok(content.answer.length > 0);
  }
}

describe('1,500 mixed tool calls from 32 clients against flapping backends', () => {
  let fakes;
  let daemon;
  let clients = [];

  before(async () => {
    fakes = await spawnFakes(['qdrant', 'ollama', 'orchestrator']);
    await control(fakes.urls.orchestrator, 'POST', '/_control/documents', {
      documents: kSeed.map((text, i) => ({ text, metadata: { source: `https://docs.example.com/${i}`, title: `Doc ${i}` } })),
    });
    const perBackend = {};
    for (const section of ['QDRANT', 'EMBEDDER', 'ORCHESTRATOR']) {
      Object.assign(perBackend, {
        [`SHIELD_MCP_${section}_MAX_IN_FLIGHT`]: String(kMaxInFlight),
        [`SHIELD_MCP_${section}_TIMEOUT_MS`]: String(kTimeoutMs),
        [`SHIELD_MCP_${section}_CONNECT_TIMEOUT_MS`]: '200',
        [`SHIELD_MCP_${section}_BREAKER_OPEN_MS`]: String(kOpenMs),
        [`SHIELD_MCP_${section}_RETRY_MAX_ATTEMPTS`]: '2',
        [`SHIELD_MCP_${section}_RETRY_BASE_DELAY_MS`]: '10',
        [`SHIELD_MCP_${section}_RETRY_MAX_DELAY_MS`]: '40',
      });
    }
    daemon = await startDaemon({
      env: {
        ...perBackend,
        SHIELD_MCP_QDRANT_URL: fakes.urls.qdrant,
        SHIELD_MCP_QDRANT_COLLECTION: 'kb',
        SHIELD_MCP_EMBEDDER_URL: fakes.urls.ollama,
        SHIELD_MCP_EMBEDDER_PROVIDER: 'ollama',
        SHIELD_MCP_EMBEDDER_MODEL: kModel,
        SHIELD_MCP_EMBEDDER_MAX_CONCURRENCY: String(kMaxInFlight),
        SHIELD_MCP_ORCHESTRATOR_URL: fakes.urls.orchestrator,
      },
    });
    clients = await Promise.all(Array.from({ length: kClients }, (_, n) => connect(daemon, n)));
    // Seed both collections while everything is healthy.
    for (const collection of ['kb', 'slow']) {
      const stored = await clients[0].callTool({
        name: 'qdrant_store',
        arguments: { collection, entries: kSeed.map((text) => ({ text })) },
      });
      assert.equal(stored.isError, undefined, JSON.stringify(stored));
    }
  });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await daemon?.stop();
    await fakes?.close();
  });

  test('no crash, no hung call, only backend errors, no leaked bulkhead slot', { timeout: 50_000 }, async (t) => {
    const testStarted = performance.now();
    const faults = [
      // Searches in 'slow' hang now and then: the daemon's timeout must end them.
      [fakes.urls.qdrant, { route: 'POST /collections/slow/points/query', flap: { fail: 1, ok: 7, hang: true } }],
      // Other searches: bursts of 503 (retried once), a little latency on every one.
      [fakes.urls.qdrant, { route: 'POST /collections/*/points/query', latency_ms: 2, flap: { fail: 2, ok: 14, status: 503 } }],
      // Writes: the connection is reset now and then.
      [fakes.urls.qdrant, { route: 'PUT /collections/*/points', latency_ms: 3, flap: { fail: 1, ok: 9, reset: true } }],
      // The embedder resets connections now and then (a flap fails one way only).
      [fakes.urls.ollama, { route: 'POST /api/embed', latency_ms: 5, flap: { fail: 2, ok: 8, reset: true } }],
      // The orchestrator rate-limits now and then.
      [fakes.urls.orchestrator, { route: 'POST /lightrag/query', latency_ms: 2, flap: { fail: 1, ok: 6, status: 429 } }],
    ];
    for (const [base, fault] of faults) {
      const added = await control(base, 'POST', '/_control/faults', fault);
      assert.equal(added.status, 201, JSON.stringify(added.json));
    }

    // Qdrant drops off the network twice during the run (refused connections, open ones cut),
    // long enough for its breaker to open and fail fast, short enough to come back by itself.
    const outages = [];
    const outageAt = new Set([Math.floor(kCalls / 3), Math.floor((2 * kCalls) / 3)]);

    const records = [];
    let next = 0;
    async function worker(client) {
      while (next < kCalls) {
        const i = next++;
        if (outageAt.has(i)) {
          outages.push(control(fakes.urls.orchestrator, 'POST', '/_control/down', { fake: 'qdrant', for_ms: 300 }));
        }
        const call = callFor(i);
        const started = performance.now();
        let timer;
        const watchdog = new Promise((resolve) => {
          timer = setTimeout(() => resolve({ hung: true }), kHungMs);
        });
        let outcome;
        try {
          outcome = await Promise.race([
            client.callTool(call, undefined, { timeout: kHungMs + 1_000 }).then((result) => ({ result })),
            watchdog,
          ]);
        } catch (error) {
          outcome = { thrown: error };
        } finally {
          clearTimeout(timer);
        }
        records.push({ i, call, ms: performance.now() - started, ...outcome });
      }
    }
    const runStarted = performance.now();
    await Promise.all(clients.map((client) => worker(client)));
    const runMs = performance.now() - runStarted;
    for (const outage of await Promise.all(outages)) assert.equal(outage.status, 200, JSON.stringify(outage.json));
    assert.equal(outages.length, 2);

    // Every call came back, as a valid result or an actionable backend error.
    assert.equal(records.length, kCalls);
    const hung = records.filter((r) => r.hung);
    assert.deepEqual(hung.map((r) => r.call), [], 'calls that never came back');
    const thrown = records.filter((r) => r.thrown);
    assert.deepEqual(
      thrown.map((r) => `${r.call.name}: ${r.thrown.message}`),
      [],
      'protocol errors or invalid structuredContent',
    );
    // Per tool: successes; failures of calls the daemon let through; and fast refusals, by an
    // open (or probing) breaker or by a full bulkhead, which never reached a backend.
    const byTool = {};
    const byCode = {};
    for (const r of records) {
      const tally = (byTool[r.call.name] ??= { ok: 0, failed: 0, refused: 0, busy: 0 });
      if (r.result.isError) {
        const error = r.result.structuredContent?.error;
        assert.ok(error, `an error result without structuredContent.error: ${JSON.stringify(r.result)}`);
        assert.ok(kBackendErrors.has(error.code), `unexpected error code: ${JSON.stringify(error)}`);
        assert.ok(['qdrant', 'embedder', 'orchestrator'].includes(error.backend), JSON.stringify(error));
        assert.ok(error.message.length > 0 && r.result.content[0].text.length > 0, JSON.stringify(r.result));
        byCode[`${error.backend}:${error.code}`] = (byCode[`${error.backend}:${error.code}`] ?? 0) + 1;
        if (error.code === 'backend_busy') tally.busy += 1;
        else if (kBreakerRefusal.test(error.message)) tally.refused += 1;
        else tally.failed += 1;
      } else {
        tally.ok += 1;
        checkSuccess(r.call, r.result);
      }
    }
    const latencies = records.map((r) => r.ms).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const max = latencies.at(-1);
    const summary =
      `load_intermittent: ${kCalls} calls, ${kClients} clients, ${(runMs / 1000).toFixed(1)} s ` +
      `(${(kCalls / (runMs / 1000)).toFixed(0)} calls/s); latency p50 ${p50.toFixed(1)} ms, ` +
      `p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; ` +
      `results ${JSON.stringify(byTool)}; errors ${JSON.stringify(byCode)}`;
    console.log(summary);
    t.diagnostic(summary);
    assert.ok(max < kCallBoundMs, `slowest call took ${max.toFixed(0)} ms (bound ${kCallBoundMs} ms)`);

    // The faults really happened, and the daemon still did useful work through them.
    for (const base of [fakes.urls.qdrant, fakes.urls.ollama, fakes.urls.orchestrator]) {
      const { json } = await control(base, 'GET', '/_control/faults');
      for (const fault of json.faults) assert.ok(fault.applied > 0, `fault never applied: ${JSON.stringify(fault)}`);
    }
    assert.ok(
      (await metric(daemon, /circuit_breaker_transitions_total\{backend="qdrant",to="open"\} (\d+)/)) >= 1,
      'the outages opened the Qdrant breaker',
    );
    assert.ok((await metric(daemon, /backend_requests_total\{backend="qdrant",outcome="timeout"\} (\d+)/)) >= 1);
    assert.ok((await metric(daemon, /embedding_cache_requests_total\{result="hit"\} (\d+)/)) >= 1);
    // Blips must not become outages. Fast refusals are left out of the rate. While a breaker
    // is open, the clients send their next call at once and collect refusals by the hundred:
    // how many depends on the machine's speed, not on the daemon. But of the calls that
    // reached the backends, retries must absorb most flaps (typically 93-100 % succeed).
    for (const [name, tally] of Object.entries(byTool)) {
      const admitted = tally.ok + tally.failed;
      assert.ok(admitted >= 50, `${name}: too few calls reached a backend to judge: ${JSON.stringify(tally)}`);
      assert.ok(tally.ok >= 0.8 * admitted, `${name}: flaps turned into failures: ${JSON.stringify(tally)}`);
    }
    // Only the outages open Qdrant's breaker: up to twice each (it opens, and a probe sent
    // while Qdrant is still down opens it again), with room for a rare run of five failures
    // among the flaps. Flaps alone never open the embedder's or the orchestrator's: their
    // failures come one or two at a time between runs of successes.
    assert.ok((await metric(daemon, /circuit_breaker_transitions_total\{backend="qdrant",to="open"\} (\d+)/)) <= 8);
    for (const backend of ['embedder', 'orchestrator']) {
      const opened = await metric(daemon, new RegExp(`circuit_breaker_transitions_total\\{backend="${backend}",to="open"\\} (\\d+)`));
      assert.equal(opened, 0, `${backend}'s breaker opened`);
    }

    // The daemon is alive and no call left a bulkhead slot behind.
    assert.equal(daemon.child.exitCode, null, 'the daemon is still running');
    assert.equal(daemon.child.signalCode, null);
    const health = await fetch(`${daemon.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const afterRun = await readiness(daemon);
    for (const [name, backend] of Object.entries(afterRun.backends)) {
      assert.equal(backend.in_flight, 0, `${name} still counts calls in flight: ${JSON.stringify(backend)}`);
    }

    // Faults gone (hung connections released), the contract was kept throughout.
    for (const base of [fakes.urls.qdrant, fakes.urls.ollama, fakes.urls.orchestrator]) {
      await control(base, 'DELETE', '/_control/faults');
    }
    const { json: violations } = await control(fakes.urls.orchestrator, 'GET', '/_control/violations?all=1');
    assert.equal(violations.count, 0, `contract violations:\n${JSON.stringify(violations.violations, null, 2)}`);

    // Let every breaker close again: wait out the open time, then probe one call at a time
    // (a half-open breaker lets one probe through; a burst would be refused by design).
    let probes = 0;
    for (;;) {
      const ready = await readiness(daemon);
      if (Object.values(ready.backends).every((b) => b.state === 'closed')) break;
      assert.ok(probes < 20, `breakers did not close: ${JSON.stringify(ready.backends)}`);
      await sleep(kOpenMs + 50);
      probes += 1;
      await clients[0].callTool({ name: 'qdrant_find', arguments: { query: `probe ${probes}` } });
      await clients[0].callTool({ name: 'lightrag_query', arguments: { query: 'breaker', mode: 'naive' } });
    }

    // A burst of exactly max_in_flight calls per backend, held in flight together by added
    // latency: a single leaked slot would turn the last of them into backend_busy. Fresh
    // queries, so each search also holds an embedder slot.
    const held = [
      [fakes.urls.qdrant, { route: 'POST /collections/*/points/query', latency_ms: 300 }],
      [fakes.urls.ollama, { route: 'POST /api/embed', latency_ms: 300 }],
      [fakes.urls.orchestrator, { route: 'POST /lightrag/query', latency_ms: 300 }],
    ];
    for (const [base, fault] of held) await control(base, 'POST', '/_control/faults', fault);
    const burst = await Promise.all([
      ...clients.slice(0, kMaxInFlight).map((c, n) =>
        c.callTool({ name: 'qdrant_find', arguments: { query: `burst question ${n} about the breaker` } }),
      ),
      ...clients.slice(kMaxInFlight, 2 * kMaxInFlight).map((c) =>
        c.callTool({ name: 'lightrag_query', arguments: { query: 'breaker', mode: 'naive' } }),
      ),
    ]);
    for (const result of burst) assert.equal(result.isError, undefined, JSON.stringify(result));

    // One more than the limit (cached queries: only Qdrant is involved) is refused once as
    // busy: the burst above really stood at the limit.
    const overLimit = await Promise.all(
      clients.slice(0, kMaxInFlight + 1).map((c) =>
        c.callTool({ name: 'qdrant_find', arguments: { query: 'burst question 0 about the breaker' } }),
      ),
    );
    const busy = overLimit.filter((r) => r.isError);
    assert.equal(busy.length, 1, JSON.stringify(busy));
    assert.equal(busy[0].structuredContent.error.code, 'backend_busy');
    assert.equal(busy[0].structuredContent.error.backend, 'qdrant');

    for (const [base] of held) await control(base, 'DELETE', '/_control/faults');
    const settled = await readiness(daemon);
    for (const [name, backend] of Object.entries(settled.backends)) {
      assert.equal(backend.in_flight, 0, `${name}: ${JSON.stringify(backend)}`);
      assert.equal(backend.state, 'closed', `${name}: ${JSON.stringify(backend)}`);
    }
    assert.equal(daemon.child.exitCode, null);
    const elapsed = performance.now() - testStarted;
    assert.ok(elapsed < 45_000, `the test took ${elapsed.toFixed(0)} ms`);
  });
});
