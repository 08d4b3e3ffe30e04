// Chaos, one backend at a time: Qdrant (qdrant_find), the Ollama embedder (qdrant_find of a
// query it has not embedded yet), the orchestrator (lightrag_query, default route) and a
// LightRAG server (lightrag_query with lightrag.mode = "direct"). Each is taken down, slowed
// past its timeout, made to flap and made to reset connections while the real daemon serves
// the official SDK client. For every fault the test checks:
//   - the tool error (code, backend, retry_after_s, detail, a message naming the backend
//     and its URL);
//   - that /healthz and tools/list stay quick while a slow call hangs on the backend;
//   - that tools on the other backends keep working and their breakers stay closed;
//   - that the breaker opens after exactly 5 consecutive failures and then fails fast,
//     with no request reaching the fake;
//   - the metrics and /readyz while open, half-open and closed again;
//   - that it recovers by itself once the open time has passed (the flapping case also
//     sees a half-open probe fail and the breaker reopen, with the fault still on).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon } from './lib/daemon.mjs';
import { control, expectNoViolations as expectNoViolationsAt, startFakes } from './lib/fakes.mjs';
import { Client, StreamableHTTPClientTransport } from './lib/sdk.mjs';
import { parseMetrics, sampleKey } from './lib/metrics.mjs';

// Short enough that 16 recoveries fit the time budget, long enough that every check meant
// to run while the breaker is open finishes well before it turns half-open.
const kOpenMs = 1200;
// Every backend's timeout_ms (and connect_timeout_ms); the fakes answer in a few ms.
const kTimeoutMs = 300;
// The slow fault: far past the timeout, so a call that waited for the answer would show.
const kSlowMs = 2000;
// breaker_failure_threshold is left at its default on purpose: the issue says 5.
const kThreshold = 5;
const kFailFastCalls = 3;
// Bounds for "at once": a tool call refused by an open breaker, and the /healthz, /readyz,
// tools/list and other-backend calls made while a slow call hangs. They take a few ms
// here; the bounds leave room for a busy 2-core machine and stay below kTimeoutMs.
const kQuickMs = 100;
const kProbeQuickMs = 200;
const kFlapMessage = 'flapping on purpose';
const kModel = 'nomic-embed-text';

const kBreakerText =
  'The circuit breaker opens after five consecutive failures and stays open for sixty seconds.';
const kPastaText = 'Pasta needs salted boiling water and about nine minutes of cooking.';
const kLightragDocs = [
  { text: kBreakerText, metadata: { source: 'https://docs.example.com/breakers', title: 'Circuit breakers' } },
  { text: kPastaText, metadata: { source: 'https://recipes.example.com/pasta', title: 'Pasta basics' } },
];
// Embedded once when a daemon starts, so later searches for it need Qdrant alone.
const kCachedQuery = 'circuit breaker';

const kSections = ['QDRANT', 'EMBEDDER', 'ORCHESTRATOR', 'LIGHTRAG'];
const kBackendNames = ['qdrant', 'embedder', 'orchestrator', 'lightrag'];
const kOutcomes = ['success', 'client_error', 'server_error', 'transport_error', 'timeout', 'cancelled', 'circuit_open', 'busy'];
const kStates = ['closed', 'open', 'half_open'];

// ---------------------------------------------------------------------------------------
// Small helpers

// Requests a fake has served (control routes are never counted), faulted ones included.
async function requestsSeen(url) {
  const { json } = await control(url, 'GET', '/_control/requests?limit=1');
  return json.total;
}

function errorOf(result) {
  assert.equal(result.isError, true, `expected an error result, got ${JSON.stringify(result)}`);
  const { error } = result.structuredContent;
  // The text block a person reads is the structured message.
  assert.equal(result.content[0].text, error.message);
  return error;
}

async function timed(promise) {
  const started = performance.now();
  const value = await promise;
  return { value, ms: performance.now() - started };
}

function sample(samples, name, labels) {
  const value = samples.get(sampleKey(name, labels));
  assert.notEqual(value, undefined, `metric ${sampleKey(name, labels)} is exported`);
  return value;
}

async function scrape(daemon) {
  const res = await fetch(daemon.metricsUrl);
  assert.equal(res.status, 200);
  return parseMetrics(await res.text());
}

// What the metrics say about one backend, as plain numbers a test can diff.
function backendView(samples, backend) {
  const view = {
    state: sample(samples, 'circuit_breaker_state', { backend }),
    rejected: sample(samples, 'circuit_breaker_rejected_calls_total', { backend }),
    durations: sample(samples, 'backend_request_duration_seconds_count', { backend }),
    duration_sum: sample(samples, 'backend_request_duration_seconds_sum', { backend }),
    to: {},
    outcome: {},
  };
  for (const to of kStates) view.to[to] = sample(samples, 'circuit_breaker_transitions_total', { backend, to });
  for (const outcome of kOutcomes) view.outcome[outcome] = sample(samples, 'backend_requests_total', { backend, outcome });
  return view;
}

// Counter increases between two views (the state gauge is taken as is from `later`).
function diff(earlier, later) {
  const out = {
    state: later.state,
    rejected: later.rejected - earlier.rejected,
    durations: later.durations - earlier.durations,
    duration_sum: later.duration_sum - earlier.duration_sum,
    to: {},
    outcome: {},
  };
  for (const to of kStates) out.to[to] = later.to[to] - earlier.to[to];
  for (const outcome of kOutcomes) out.outcome[outcome] = later.outcome[outcome] - earlier.outcome[outcome];
  return out;
}

// Every backend_requests_total outcome increase, with zeros for the ones not named.
function outcomes(expected) {
  return Object.fromEntries(kOutcomes.map((o) => [o, expected[o] ?? 0]));
}

async function readyz(daemon) {
  const res = await fetch(`${daemon.baseUrl}/readyz`);
  return { status: res.status, json: await res.json() };
}

// ---------------------------------------------------------------------------------------
// What each backend's chaos needs: the tool call that depends on it, what a healthy answer
// looks like, where to inject the fault, and the tools on other backends to check.

let uncachedQueries = 0;
// A query the embedding cache has never seen, so it must reach the embedder.
function findUncached() {
  uncachedQueries += 1;
  return { name: 'qdrant_find', arguments: { query: `circuit breaker question number ${uncachedQueries}` } };
}
function findCached() {
  return { name: 'qdrant_find', arguments: { query: kCachedQuery } };
}
function askLightrag() {
  return { name: 'lightrag_query', arguments: { query: 'When does the circuit breaker open?' } };
}

function expectFound(result) {
  assert.equal(result.isError, undefined, JSON.stringify(result));
  assert.equal(result.structuredContent.collection, 'chaos');
  assert.equal(result.structuredContent.results[0].document, kBreakerText);
}

function expectAnswer(route) {
  return (result) => {
    assert.equal(result.isError, undefined, JSON.stringify(result));
    assert.equal(result.structuredContent.route, route);
    assert.match(result.structuredContent.answer, /circuit breaker opens after five consecutive failures/);
  };
}

const kQdrantNeighbour = { backend: 'qdrant', call: findCached, ok: expectFound };
const kEmbedderNeighbour = { backend: 'embedder', call: findUncached, ok: expectFound };
const kOrchestratorNeighbour = { backend: 'orchestrator', call: askLightrag, ok: expectAnswer('orchestrator') };

const kSpecs = {
  qdrant: {
    name: 'qdrant',
    label: 'Qdrant',
    fake: 'qdrant',
    route: 'POST /collections/*/points/query',
    // The query's vector is cached and the collection's layout known: one Qdrant request.
    call: findCached,
    ok: expectFound,
    neighbours: [kOrchestratorNeighbour],
  },
  embedder: {
    name: 'embedder',
    label: 'Ollama',
    fake: 'ollama',
    route: 'POST /api/embed',
    call: findUncached,
    ok: expectFound,
    // A cached query still searches Qdrant while the embedder is out.
    neighbours: [kQdrantNeighbour, kOrchestratorNeighbour],
  },
  orchestrator: {
    name: 'orchestrator',
    label: 'Orchestrator',
    fake: 'orchestrator',
    route: 'POST /lightrag/query',
    call: askLightrag,
    ok: expectAnswer('orchestrator'),
    neighbours: [kQdrantNeighbour, kEmbedderNeighbour],
  },
  lightrag: {
    name: 'lightrag',
    label: 'LightRAG',
    fake: 'lightrag',
    route: 'POST /query',
    call: askLightrag,
    ok: expectAnswer('direct'),
    neighbours: [kQdrantNeighbour, kEmbedderNeighbour],
  },
};

// How each fault shows. `reason` is the breaker's word for the failure (last_failure, and
// the "last: …" of a fail-fast message).
const kModes = {
  down: {
    code: 'backend_unavailable',
    outcome: 'transport_error',
    message: (label, url) => `${label} at ${url} is unavailable: connection refused`,
    detail: /Couldn't connect to server \(Connection refused\)$/,
    reason: 'connection refused',
  },
  slow: {
    code: 'backend_timeout',
    outcome: 'timeout',
    message: (label, url) => `${label} at ${url} did not answer within ${kTimeoutMs} ms`,
    detail: /^Operation timed out after \d+ milliseconds with 0 bytes received$/,
    reason: `timed out after ${kTimeoutMs} ms`,
  },
  flapping: {
    code: 'backend_unavailable',
    outcome: 'server_error',
    httpStatus: 503,
    message: (label, url) => `${label} at ${url} is unavailable: HTTP 503: ${kFlapMessage}`,
    // Ollama's own words replace the generic detail; the others keep "HTTP 503: …".
    detail: new RegExp(`^(HTTP 503: )?${kFlapMessage}$`),
    reason: `HTTP 503: ${kFlapMessage}`,
  },
  reset: {
    code: 'backend_unavailable',
    outcome: 'transport_error',
    message: (label, url) => `${label} at ${url} is unavailable: connection reset`,
    detail: /Connection reset by peer/,
    reason: 'connection reset',
  },
};

function expectFailure(result, spec, mode, url, { opened }) {
  const error = errorOf(result);
  assert.equal(error.code, mode.code, JSON.stringify(error));
  assert.equal(error.backend, spec.name);
  assert.equal(error.message, mode.message(spec.label, url));
  assert.match(error.detail, mode.detail);
  if (mode.httpStatus) assert.equal(error.http_status, mode.httpStatus);
  else assert.equal('http_status' in error, false, JSON.stringify(error));
  // Until the breaker opens nobody knows when to retry; the call that opens it says when
  // the breaker will let a probe through.
  if (opened) expectRetryAfter(error.retry_after_s);
  else assert.equal(error.retry_after_s, null, JSON.stringify(error));
  return error;
}

function expectRetryAfter(seconds) {
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= Math.ceil(kOpenMs / 1000), `retry_after_s ${seconds}`);
}

// A call refused by the open breaker: at once, and saying why and for how long.
function expectFailFast(result, ms, spec, url, cause) {
  const error = errorOf(result);
  assert.equal(error.code, 'backend_unavailable');
  assert.equal(error.backend, spec.name);
  expectRetryAfter(error.retry_after_s);
  assert.equal(error.message, `${spec.label} at ${url} is unavailable (${cause}); retrying in ${error.retry_after_s} s`);
  assert.equal(error.detail, cause);
  assert.equal('http_status' in error, false);
  assert.ok(ms < kQuickMs, `a call refused by the open breaker took ${ms.toFixed(1)} ms`);
}

// ---------------------------------------------------------------------------------------
// One daemon per lightrag route, both on the same fakes (only one daemon talks at a time).

let fakes;

function daemonEnv(urls, extra = {}) {
  const env = {
    SHIELD_MCP_QDRANT_URL: urls.qdrant,
    SHIELD_MCP_EMBEDDER_URL: urls.ollama,
    SHIELD_MCP_EMBEDDER_PROVIDER: 'ollama',
    SHIELD_MCP_EMBEDDER_MODEL: kModel,
    SHIELD_MCP_ORCHESTRATOR_URL: urls.orchestrator,
    SHIELD_MCP_LIGHTRAG_URL: urls.lightrag,
    SHIELD_MCP_QDRANT_COLLECTION: 'chaos',
    ...extra,
  };
  for (const section of kSections) {
    env[`SHIELD_MCP_${section}_BREAKER_OPEN_MS`] = String(kOpenMs);
    // One attempt per call: the 5 failures the breaker counts are 5 tool calls.
    env[`SHIELD_MCP_${section}_RETRY_MAX_ATTEMPTS`] = '1';
    env[`SHIELD_MCP_${section}_TIMEOUT_MS`] = String(kTimeoutMs);
    env[`SHIELD_MCP_${section}_CONNECT_TIMEOUT_MS`] = String(kTimeoutMs);
  }
  return env;
}

// Any fake that is up can reset them all (one under test may be down).
async function resetFakes() {
  for (const url of Object.values(fakes.urls)) {
    try {
      await control(url, 'POST', '/_control/reset?all=1', { keep_data: true });
      return;
    } catch {
      // That one is down; try the next.
    }
  }
  throw new Error('no fake answered /_control/reset');
}

async function expectNoViolations() {
  await expectNoViolationsAt(fakes.urls.qdrant);
}

before(async () => {
  fakes = await startFakes({ qdrant: 0, ollama: 0, orchestrator: 0, lightrag: 0 });
  await control(fakes.urls.orchestrator, 'POST', '/_control/documents', { documents: kLightragDocs });
  await control(fakes.urls.lightrag, 'POST', '/_control/documents', {
    documents: kLightragDocs.map((d) => ({ text: d.text, file_path: d.metadata.source })),
  });
});

after(async () => {
  await fakes?.close();
});

function chaosGroup(title, { env, backends }) {
  describe(title, () => {
    const group = {};

    before(async () => {
      group.daemon = await startDaemon({ env: daemonEnv(fakes.urls, env) });
      group.client = new Client({ name: 'chaos-backends-test', version: '1.0.0' });
      await group.client.connect(new StreamableHTTPClientTransport(new URL(group.daemon.mcpUrl)));
      await group.client.listTools(); // loads the output schemas the SDK then enforces
      const stored = await group.client.callTool({
        name: 'qdrant_store',
        arguments: { entries: [{ text: kBreakerText }, { text: kPastaText }] },
      });
      assert.equal(stored.isError, undefined, JSON.stringify(stored));
      // Warms the embedding cache for kCachedQuery and the collection layout.
      expectFound(await group.client.callTool(findCached()));
    });

    after(async () => {
      await group.client?.close();
      await group.daemon?.stop();
    });

    afterEach(async () => {
      try {
        await expectNoViolations();
      } finally {
        await resetFakes();
        await settle(group);
      }
    });

    for (const name of backends) {
      for (const mode of Object.keys(kModes)) {
        test(`${name} ${mode}: errors, isolation, breaker opens after ${kThreshold} and fails fast, metrics, /readyz, recovery`, () =>
          chaos(group, kSpecs[name], mode));
      }
    }

    if (backends.includes('qdrant')) {
      test('/readyz backend entries carry every field the circuit breaker guide documents, closed and open', () =>
        readyzContract(group));
    }
  });
}

// A failed test can leave a breaker open or counting; close it so the next test starts clean.
async function settle(group) {
  const { json } = await readyz(group.daemon);
  const stuck = Object.entries(json.backends ?? {}).filter(([, b]) => b.state !== 'closed' || b.consecutive_failures !== 0);
  if (stuck.length === 0) return;
  await sleep(kOpenMs + 50);
  for (const [name] of stuck) {
    const spec = kSpecs[name];
    if (spec) await group.client.callTool(spec.call());
  }
}

// ---------------------------------------------------------------------------------------
// The scenario, the same for every backend and fault.

async function chaos(group, spec, modeName) {
  const { daemon, client } = group;
  const mode = kModes[modeName];
  const url = fakes.urls[spec.fake];
  const otherFake = Object.values(fakes.urls).find((u) => u !== url);

  // Starts closed with a clean count, or "exactly 5" would mean nothing.
  const start = await readyz(daemon);
  assert.equal(start.json.backends[spec.name].state, 'closed');
  assert.equal(start.json.backends[spec.name].consecutive_failures, 0);

  if (modeName === 'reset') {
    // libcurl silently resends a request once when a reused keep-alive connection dies
    // before any answer byte. Pin the pool to exactly one idle connection (drop them all,
    // then one healthy call) so the number of requests the fake sees is known.
    await control(url, 'POST', '/_control/down', {});
    await control(otherFake, 'POST', '/_control/up', { fake: spec.fake });
    spec.ok(await client.callTool(spec.call()));
  }
  await control(url, 'DELETE', '/_control/requests');
  const before = await scrape(daemon);

  if (modeName === 'down') await control(url, 'POST', '/_control/down', {});
  if (modeName === 'slow') await control(url, 'POST', '/_control/faults', { route: spec.route, latency_ms: kSlowMs });
  if (modeName === 'reset') await control(url, 'POST', '/_control/faults', { route: spec.route, reset: true });
  if (modeName === 'flapping') {
    // Six failures, then one good answer, over and over: 5 open the breaker, the first
    // probe fails, the second probe lands on the good answer.
    await control(url, 'POST', '/_control/faults', {
      route: spec.route,
      flap: { fail: kThreshold + 1, ok: 1 },
      message: kFlapMessage,
    });
  }

  // 1. Five failures, each one attempt; the breaker stays closed until the fifth.
  for (let i = 1; i <= kThreshold; i++) {
    const opened = i === kThreshold;
    let result;
    if (modeName === 'slow' && i === 1) {
      result = await probeWhileSlow(group, spec, url);
    } else {
      result = await client.callTool(spec.call());
    }
    expectFailure(result, spec, mode, url, { opened });
    const state = backendView(await scrape(daemon), spec.name).state;
    assert.equal(state, opened ? 1 : 0, `breaker state after ${i} consecutive failure(s)`);
  }
  const openedAt = performance.now();

  // A downed fake comes back now, so a call that leaked past the open breaker would be
  // served and counted.
  if (modeName === 'down') await control(otherFake, 'POST', '/_control/up', { fake: spec.fake });

  // What reached the fake: nothing while it was down; one request per call otherwise,
  // plus libcurl's one resend on the reused connection when the fake resets it.
  const reached = { down: 0, slow: kThreshold, flapping: kThreshold, reset: kThreshold + 1 }[modeName];
  assert.equal(await requestsSeen(url), reached, 'requests the fake saw while failing');

  // 2. Open: calls fail fast and touch nothing.
  const cause = `${kThreshold} consecutive failures, last: ${mode.reason}`;
  for (let i = 0; i < kFailFastCalls; i++) {
    const { value, ms } = await timed(client.callTool(spec.call()));
    expectFailFast(value, ms, spec, url, cause);
  }
  assert.equal(await requestsSeen(url), reached, 'no request reached the fake while the breaker was open');

  // 3. The other backends' tools work meanwhile.
  await expectNeighboursHealthy(group, spec);

  // 4. Metrics and /readyz while open.
  const during = await scrape(daemon);
  const open = diff(backendView(before, spec.name), backendView(during, spec.name));
  assert.equal(open.state, 1, 'circuit_breaker_state is 1 (open)');
  assert.deepEqual(open.to, { closed: 0, open: 1, half_open: 0 }, 'transitions while open');
  assert.equal(open.rejected, kFailFastCalls, 'circuit_breaker_rejected_calls_total counts the fail-fast calls');
  assert.deepEqual(
    open.outcome,
    outcomes({ [mode.outcome]: kThreshold, circuit_open: kFailFastCalls }),
    'backend_requests_total by outcome while open',
  );
  assert.equal(open.durations, kThreshold, 'only calls that reached the network are timed');
  if (modeName === 'slow') {
    // Each timed-out attempt lasted about the timeout, not the fake's added latency.
    assert.ok(open.duration_sum >= (kThreshold * kTimeoutMs * 0.95) / 1000, `duration sum ${open.duration_sum}`);
    assert.ok(open.duration_sum < (kThreshold * kSlowMs) / 1000, `duration sum ${open.duration_sum}`);
  }
  expectNeighbourMetrics(before, during, spec);

  const ready = await readyz(daemon);
  assert.equal(ready.status, 200, 'an open breaker does not make the daemon unready');
  assert.equal(ready.json.status, 'ready');
  assert.equal(ready.json.degraded, true, 'degraded while a breaker is open');
  const entry = ready.json.backends[spec.name];
  assert.equal(entry.url, url);
  assert.equal(entry.state, 'open');
  assert.equal(entry.consecutive_failures, kThreshold);
  assert.equal(entry.last_failure, mode.reason);
  assert.equal(entry.in_flight, 0);
  expectRetryAfter(entry.retry_after_s);
  for (const other of kBackendNames.filter((b) => b !== spec.name)) {
    assert.equal(ready.json.backends[other].state, 'closed', `${other} stays closed`);
  }
  const openPhaseMs = performance.now() - openedAt;
  assert.ok(openPhaseMs < kOpenMs, `the open-phase checks took ${openPhaseMs.toFixed(0)} ms, past the open time`);

  let probesFailed = 0;
  let failFastCalls = kFailFastCalls;
  let reopenedAt = openedAt;
  if (modeName === 'flapping') {
    // 5. Half-open probe failure: the fault is still on and the probe gets its 503.
    await waitForHalfOpen(daemon, spec, reopenedAt, before);
    const probe = await client.callTool(spec.call());
    expectFailure(probe, spec, mode, url, { opened: true });
    reopenedAt = performance.now();
    probesFailed = 1;
    assert.equal(await requestsSeen(url), reached + 1, 'the probe, and only the probe, reached the fake');
    const reopened = diff(backendView(before, spec.name), backendView(await scrape(daemon), spec.name));
    assert.equal(reopened.state, 1, 'a failed probe reopens the breaker');
    assert.deepEqual(reopened.to, { closed: 0, open: 2, half_open: 1 });
    const again = (await readyz(daemon)).json.backends[spec.name];
    assert.equal(again.state, 'open');
    assert.equal(again.consecutive_failures, kThreshold + 1);
    const reopenCause = `probe call failed: ${kThreshold + 1} consecutive failures, last: ${mode.reason}`;
    const { value, ms } = await timed(client.callTool(spec.call()));
    expectFailFast(value, ms, spec, url, reopenCause);
    failFastCalls += 1;
    assert.equal(await requestsSeen(url), reached + 1, 'nothing reached the fake after the breaker reopened');
  } else {
    // 5. The fault goes away (the downed fake came back above).
    await control(url, 'DELETE', '/_control/faults');
  }

  // 6. Recovery by itself: after the open time one probe goes through and closes it. The
  // flapping fault is still installed: its probe lands on the good answer.
  await waitForHalfOpen(daemon, spec, reopenedAt, before, probesFailed);
  spec.ok(await client.callTool(spec.call()));
  assert.equal(await requestsSeen(url), reached + probesFailed + 1, 'one probe closed the breaker');

  const healed = diff(backendView(before, spec.name), backendView(await scrape(daemon), spec.name));
  assert.equal(healed.state, 0, 'circuit_breaker_state is 0 (closed) again');
  assert.deepEqual(healed.to, { closed: 1, open: 1 + probesFailed, half_open: 1 + probesFailed });
  assert.equal(healed.rejected, failFastCalls);
  assert.deepEqual(
    healed.outcome,
    outcomes({ [mode.outcome]: kThreshold + probesFailed, circuit_open: failFastCalls, success: 1 }),
    'backend_requests_total by outcome after recovery',
  );
  assert.equal(healed.durations, kThreshold + probesFailed + 1);

  const closed = await readyz(daemon);
  assert.equal(closed.status, 200);
  assert.equal(closed.json.degraded, false);
  const healedEntry = closed.json.backends[spec.name];
  assert.equal(healedEntry.state, 'closed');
  assert.equal(healedEntry.consecutive_failures, 0);
  assert.equal(healedEntry.retry_after_s ?? null, null);
  // Kept after closing, for whoever looks at the incident afterwards.
  assert.equal(healedEntry.last_failure, mode.reason);
}

// The first slow call, issued without waiting for it: while it hangs on the backend the
// daemon must keep answering everything else at once.
async function probeWhileSlow(group, spec, url) {
  const { daemon, client } = group;
  const slow = timed(client.callTool(spec.call()));
  // Once the fake holds the request, the daemon is waiting on it.
  const deadline = performance.now() + kTimeoutMs;
  while ((await requestsSeen(url)) === 0) {
    assert.ok(performance.now() < deadline, 'the slow request never reached the fake');
    await sleep(2);
  }
  const ready = await timed(readyz(daemon));
  assert.equal(ready.value.json.backends[spec.name].in_flight, 1, 'the slow call holds its bulkhead slot');
  assert.ok(ready.ms < kProbeQuickMs, `/readyz took ${ready.ms.toFixed(1)} ms during a slow call`);

  const health = await timed(fetch(`${daemon.baseUrl}/healthz`));
  assert.equal(health.value.status, 200);
  assert.deepEqual(await health.value.json(), { status: 'ok' });
  assert.ok(health.ms < kProbeQuickMs, `/healthz took ${health.ms.toFixed(1)} ms during a slow call`);

  const listed = await timed(client.listTools());
  assert.ok(listed.value.tools.some((t) => t.name === spec.call().name));
  assert.ok(listed.ms < kProbeQuickMs, `tools/list took ${listed.ms.toFixed(1)} ms during a slow call`);

  // Tools on the other backends are not held up behind it either.
  for (const neighbour of spec.neighbours) {
    const { value, ms } = await timed(client.callTool(neighbour.call()));
    neighbour.ok(value);
    assert.ok(ms < kProbeQuickMs, `${neighbour.backend} call took ${ms.toFixed(1)} ms during a slow call`);
  }
  // Still in flight after all that: the probes really ran while the call hung.
  const still = await readyz(daemon);
  assert.equal(still.json.backends[spec.name].in_flight, 1, 'the probes finished before the slow call');

  const { value, ms } = await slow;
  // The daemon gave up at its timeout; it did not wait for the fake's late answer.
  assert.ok(ms >= kTimeoutMs - 5 && ms < kSlowMs, `the slow call took ${ms.toFixed(0)} ms`);
  return value;
}

async function expectNeighboursHealthy(group, spec) {
  for (const neighbour of spec.neighbours) neighbour.ok(await group.client.callTool(neighbour.call()));
}

// The other backends were used, only successfully, and their breakers never moved.
function expectNeighbourMetrics(before, during, spec) {
  for (const neighbour of spec.neighbours) {
    const d = diff(backendView(before, neighbour.backend), backendView(during, neighbour.backend));
    assert.equal(d.state, 0, `${neighbour.backend} breaker stays closed`);
    assert.deepEqual(d.to, { closed: 0, open: 0, half_open: 0 }, `${neighbour.backend} transitions`);
    assert.equal(d.rejected, 0, `${neighbour.backend} rejected calls`);
    assert.ok(d.outcome.success >= 1, `${neighbour.backend} served calls`);
    assert.deepEqual(d.outcome, outcomes({ success: d.outcome.success }), `${neighbour.backend} outcomes`);
  }
}

// Waits out the open time, then checks that reading /readyz moves the breaker to half-open
// (as the guide says), which the state gauge and the transitions show.
async function waitForHalfOpen(daemon, spec, openedAt, before, probesFailed = 0) {
  const left = openedAt + kOpenMs + 50 - performance.now();
  if (left > 0) await sleep(left);
  const ready = await readyz(daemon);
  assert.equal(ready.status, 200);
  assert.equal(ready.json.backends[spec.name].state, 'half_open');
  assert.equal(ready.json.degraded, false, 'half-open is not counted as degraded');
  const d = diff(backendView(before, spec.name), backendView(await scrape(daemon), spec.name));
  assert.equal(d.state, 2, 'circuit_breaker_state is 2 (half-open)');
  assert.deepEqual(d.to, { closed: 0, open: 1 + probesFailed, half_open: 1 + probesFailed });
}

// docs/guides/CIRCUIT_BREAKER_GUIDE.md, "/readyz": every backend entry has url, state,
// retry_after_s, consecutive_failures, last_failure, open_cause, opened_at_unix_ms,
// in_flight and max_in_flight, with null where a value does not apply.
async function readyzContract(group) {
  const { daemon, client } = group;
  const spec = kSpecs.qdrant;
  const url = fakes.urls.qdrant;
  const kFields = [
    'consecutive_failures',
    'in_flight',
    'last_failure',
    'max_in_flight',
    'open_cause',
    'opened_at_unix_ms',
    'retry_after_s',
    'state',
    'url',
  ];

  const closed = (await readyz(daemon)).json.backends.qdrant;
  assert.deepEqual(Object.keys(closed).sort(), kFields, JSON.stringify(closed));
  assert.equal(closed.max_in_flight, 64);
  // The earlier qdrant tests opened and closed this breaker: the cause is gone, while
  // last_failure (and possibly opened_at_unix_ms) may keep the history.
  assert.equal(closed.open_cause, null);
  assert.equal(closed.retry_after_s, null);

  await control(url, 'POST', '/_control/down', {});
  const downAt = Date.now();
  for (let i = 0; i < kThreshold; i++) errorOf(await client.callTool(spec.call()));
  const openedBy = Date.now();
  const openedAt = performance.now();
  await control(fakes.urls.orchestrator, 'POST', '/_control/up', { fake: 'qdrant' });

  const open = (await readyz(daemon)).json.backends.qdrant;
  assert.deepEqual(Object.keys(open).sort(), kFields, JSON.stringify(open));
  assert.equal(open.state, 'open');
  assert.equal(open.open_cause, `${kThreshold} consecutive failures, last: connection refused`);
  assert.ok(open.opened_at_unix_ms >= downAt && open.opened_at_unix_ms <= openedBy, JSON.stringify(open));
  assert.equal(open.max_in_flight, 64);

  const left = openedAt + kOpenMs + 50 - performance.now();
  if (left > 0) await sleep(left);
  expectFound(await client.callTool(spec.call()));
}

chaosGroup('chaos: qdrant, embedder and orchestrator (lightrag_query through the orchestrator)', {
  env: {},
  backends: ['qdrant', 'embedder', 'orchestrator'],
});

chaosGroup('chaos: a LightRAG server (lightrag_query with lightrag.mode = "direct")', {
  env: { SHIELD_MCP_LIGHTRAG_MODE: 'direct' },
  backends: ['lightrag'],
});
