// Driver for bench/qdrant_find.sh: measures qdrant_find through shield-mcp against the same
// backend requests made straight to the fakes, with one kind of client for both, and prints
// one `RESULT key=value ...` line per measured cell (the script turns them into a table).
//
// Why a Node driver and not wrk: the baseline of a search is two dependent requests (embed
// the text, then query Qdrant with the vector that came back). wrk times single requests,
// so it could only add two percentiles, which is not the percentile of the sum. Here every
// operation, tool call or direct pair, is timed as one unit with hrtime, over a fixed count.
//
// Every worker owns one keep-alive connection per target (an http.Agent with maxSockets 1)
// and, for MCP, its own session; it sends its next operation when the last one is answered.
// Rounds alternate the kinds of operation, so drift on the shared machine hits all alike.
//
//   node bench/qdrant_find.mjs --mcp URL --metrics URL --qdrant URL --ollama URL
//        [--requests N] [--rounds R] [--concurrency 1,4] [--failfast-requests N]
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    mcp: { type: 'string' },
    metrics: { type: 'string' },
    qdrant: { type: 'string' },
    ollama: { type: 'string' },
    model: { type: 'string', default: 'nomic-embed-text' },
    collection: { type: 'string', default: 'bench' },
    requests: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4' },
    'failfast-requests': { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '200' },
  },
});
for (const key of ['mcp', 'metrics', 'qdrant', 'ollama']) {
  if (!opt[key]) throw new Error(`--${key} URL is required`);
}
const kRequests = Number(opt.requests);
const kRounds = Number(opt.rounds);
const kConcurrency = opt.concurrency.split(',').map(Number);
const kFailFastRequests = Number(opt['failfast-requests']);
const kWarmup = Number(opt.warmup);
const kLimit = 5; // qdrant_find's default limit, sent explicitly on the direct path too
const kMaxConcurrency = Math.max(...kConcurrency);

// ---- one request on one worker's own keep-alive connection ----

function send(agent, url, method, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

function newAgent() {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

// ---- MCP sessions ----

const kVersion = '2025-11-25';
const kAccept = 'application/json, text/event-stream';

async function openSession(agent) {
  const init = await send(
    agent,
    opt.mcp,
    'POST',
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: kVersion, capabilities: {}, clientInfo: { name: 'bench-qdrant-find', version: '1' } },
    },
    { accept: kAccept },
  );
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status} ${init.text}`);
  const headers = { accept: kAccept, 'mcp-session-id': init.headers['mcp-session-id'], 'mcp-protocol-version': kVersion };
  const ack = await send(agent, opt.mcp, 'POST', { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  if (ack.status !== 202) throw new Error(`notifications/initialized: HTTP ${ack.status}`);
  return { agent, headers, id: 1 };
}

// The JSON-RPC response of a POST, whether it came as JSON or as an SSE stream.
function rpcResponse(res) {
  if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const messages = res.text
      .split(/\r?\n\r?\n/)
      .map((block) => block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
      .filter(Boolean)
      .map((data) => JSON.parse(data));
    return messages.findLast((m) => 'id' in m && !('method' in m));
  }
  return JSON.parse(res.text);
}

async function callTool(session, name, args) {
  const res = await send(
    session.agent,
    opt.mcp,
    'POST',
    { jsonrpc: '2.0', id: session.id++, method: 'tools/call', params: { name, arguments: args } },
    session.headers,
  );
  if (res.status !== 200) throw new Error(`tools/call ${name}: HTTP ${res.status} ${res.text}`);
  const message = rpcResponse(res);
  if (message.error) throw new Error(`tools/call ${name}: JSON-RPC error ${JSON.stringify(message.error)}`);
  return message.result;
}

// ---- the operations being timed ----

// Query texts of one shape; the counter makes every one new, so neither the daemon's
// embedding cache nor anything else can answer from memory unless an operation asks for it.
let serial = 0;
const freshQuery = () => `how does the circuit breaker number ${serial++} protect qdrant and ollama`;
const kRepeatedQuery = 'how does the circuit breaker protect qdrant and ollama from overload';

// The daemon sends vectors it parsed as 32-bit floats, printed in their shortest form; the
// direct path sends the same precision, so both Qdrant bodies have the same size.
const asFloat32Text = (x) => Number(Math.fround(x).toPrecision(9));

async function toolFind(worker, query) {
  const result = await callTool(worker.session, 'qdrant_find', { query });
  if (result.isError) throw new Error(`qdrant_find failed: ${JSON.stringify(result.structuredContent)}`);
  if (result.structuredContent.results.length !== kLimit) throw new Error(`qdrant_find: ${result.structuredContent.results.length} hits`);
}

// What qdrant_find sends for a text it has not embedded before: POST /api/embed, then
// POST /collections/{c}/points/query with the vector, in the daemon's own body shapes.
async function directFind(worker, query) {
  const embedded = await send(worker.ollamaAgent, `${opt.ollama}/api/embed`, 'POST', {
    model: opt.model,
    input: [query],
    truncate: true,
    keep_alive: '5m',
  }, { accept: 'application/json' });
  if (embedded.status !== 200) throw new Error(`embed: HTTP ${embedded.status} ${embedded.text}`);
  const vector = JSON.parse(embedded.text).embeddings[0].map(asFloat32Text);
  const found = await send(
    worker.qdrantAgent,
    `${opt.qdrant}/collections/${opt.collection}/points/query`,
    'POST',
    { query: vector, limit: kLimit, with_payload: true },
    { accept: 'application/json' },
  );
  if (found.status !== 200) throw new Error(`points/query: HTTP ${found.status} ${found.text}`);
  if (JSON.parse(found.text).result.points.length !== kLimit) throw new Error('points/query: wrong hit count');
}

async function failFastFind(worker, query) {
  const result = await callTool(worker.session, 'qdrant_find', { query });
  const error = result.structuredContent?.error;
  if (!result.isError || error?.code !== 'backend_unavailable' || !/retrying in \d+ s/.test(error.message)) {
    throw new Error(`expected a fail-fast refusal, got ${JSON.stringify(result)}`);
  }
}

const kinds = {
  tool_miss: (w) => toolFind(w, freshQuery()),
  direct: (w) => directFind(w, freshQuery()),
  tool_hit: (w) => toolFind(w, kRepeatedQuery),
  failfast: (w) => failFastFind(w, freshQuery()),
};

// Runs `count` operations of `kind` on the first `concurrency` workers; returns latencies (ms).
async function run(workers, kind, count, concurrency) {
  const latencies = [];
  let left = count;
  await Promise.all(
    workers.slice(0, concurrency).map(async (worker) => {
      while (left > 0) {
        left -= 1;
        const started = process.hrtime.bigint();
        await kinds[kind](worker);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }),
  );
  return latencies;
}

// ---- metrics ----

async function scrape() {
  const res = await send(undefined, opt.metrics, 'GET');
  const value = (pattern) => Number(res.text.match(pattern)?.[1] ?? NaN);
  return {
    hits: value(/^embedding_cache_requests_total\{result="hit"\} (\S+)/m),
    misses: value(/^embedding_cache_requests_total\{result="miss"\} (\S+)/m),
    breaker: value(/^circuit_breaker_state\{backend="qdrant"\} (\S+)/m),
    circuitOpen: value(/^backend_requests_total\{backend="qdrant",outcome="circuit_open"\} (\S+)/m),
    toolSeconds: value(/^tool_duration_seconds_sum\{tool="qdrant_find"\} (\S+)/m),
    toolCount: value(/^tool_duration_seconds_count\{tool="qdrant_find"\} (\S+)/m),
    backendSeconds:
      value(/^backend_request_duration_seconds_sum\{backend="qdrant"\} (\S+)/m) +
      value(/^backend_request_duration_seconds_sum\{backend="embedder"\} (\S+)/m),
  };
}

async function fakeRequests(base) {
  const res = await send(undefined, `${base}/_control/requests`, 'GET');
  return JSON.parse(res.text).total;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1), mean };
}

function report(name, concurrency, stats, extra = {}) {
  const fields = {
    name,
    c: concurrency,
    n: stats.n,
    p50_ms: stats.p50.toFixed(3),
    p99_ms: stats.p99.toFixed(3),
    max_ms: stats.max.toFixed(3),
    mean_ms: stats.mean.toFixed(3),
    ...extra,
  };
  console.log(`RESULT ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

// ---- the run ----

const workers = [];
for (let i = 0; i < kMaxConcurrency; i++) {
  const agent = newAgent();
  workers.push({ session: await openSession(agent), ollamaAgent: newAgent(), qdrantAgent: newAgent() });
}

// A collection of 64 short documents, stored through the daemon (so it has the layout the
// tool expects), then warm-up of every path: connections open, the layout cached, the
// repeated query embedded once.
const seed = Array.from({ length: 64 }, (_, i) => ({
  text: `Document ${i}: the circuit breaker, bulkhead and retry policy protect backend ${i % 7} from overload number ${i}.`,
  metadata: { n: i },
}));
const stored = await callTool(workers[0].session, 'qdrant_store', { collection: opt.collection, entries: seed });
if (stored.isError) throw new Error(`seeding failed: ${JSON.stringify(stored.structuredContent)}`);
for (const kind of ['tool_miss', 'direct', 'tool_hit']) await run(workers, kind, kWarmup, kMaxConcurrency);

// (a) and (c): tool call with a new query, the same two requests made directly, and the
// tool call with a repeated query, round by round.
for (const concurrency of kConcurrency) {
  const lat = { tool_miss: [], direct: [], tool_hit: [] };
  const cache = { tool_miss: { hits: 0, misses: 0 }, tool_hit: { hits: 0, misses: 0 } };
  // The daemon's own account of the miss runs, from histogram sums (so means): time waiting
  // on the two backends, and time inside the tool minus that wait (its own work). Neither
  // includes the client-to-daemon hop.
  const inside = { toolSeconds: 0, backendSeconds: 0, calls: 0 };
  const perRound = Math.ceil(kRequests / kRounds);
  for (let round = 0; round < kRounds; round++) {
    for (const kind of ['tool_miss', 'direct', 'tool_hit']) {
      const before = await scrape();
      lat[kind].push(...(await run(workers, kind, perRound, concurrency)));
      const after = await scrape();
      if (cache[kind]) {
        cache[kind].hits += after.hits - before.hits;
        cache[kind].misses += after.misses - before.misses;
      }
      if (kind === 'tool_miss') {
        inside.toolSeconds += after.toolSeconds - before.toolSeconds;
        inside.backendSeconds += after.backendSeconds - before.backendSeconds;
        inside.calls += after.toolCount - before.toolCount;
      }
    }
  }
  for (const kind of ['tool_miss', 'direct', 'tool_hit']) {
    const extra = cache[kind] ? { cache_hits: cache[kind].hits, cache_misses: cache[kind].misses } : {};
    if (kind === 'tool_miss') {
      extra.inside_mean_ms = ((1000 * (inside.toolSeconds - inside.backendSeconds)) / inside.calls).toFixed(3);
      extra.backend_mean_ms = ((1000 * inside.backendSeconds) / inside.calls).toFixed(3);
    }
    report(kind, concurrency, summary(lat[kind]), extra);
  }
}

// (b) fail-fast: Qdrant goes away (connections refused), five calls trip the breaker
// (retries are off in the script's config, so one call is one failure), and the breaker
// stays open for the rest of the run. No request may reach the embedder meanwhile, and
// every call must be one refusal counted by the breaker.
await send(undefined, `${opt.ollama}/_control/down`, 'POST', { fake: 'qdrant' });
for (let i = 0; i < 5; i++) {
  const result = await callTool(workers[0].session, 'qdrant_find', { query: freshQuery() });
  if (result.structuredContent?.error?.code !== 'backend_unavailable') {
    throw new Error(`tripping call ${i + 1}: ${JSON.stringify(result)}`);
  }
}
const tripped = await scrape();
if (tripped.breaker !== 1) throw new Error(`the Qdrant breaker is not open after 5 failures (state ${tripped.breaker})`);
await run(workers, 'failfast', kWarmup, kMaxConcurrency);
for (const concurrency of kConcurrency) {
  const embedsBefore = await fakeRequests(opt.ollama);
  const before = await scrape();
  const stats = summary(await run(workers, 'failfast', kFailFastRequests, concurrency));
  const after = await scrape();
  const embeds = (await fakeRequests(opt.ollama)) - embedsBefore;
  report('failfast', concurrency, stats, { refused: after.circuitOpen - before.circuitOpen, embed_requests: embeds, breaker: after.breaker });
}
// Qdrant stays down and its breaker open: bench/qdrant_find.sh measures the same refusal
// with wrk next.
for (const worker of workers) {
  worker.session.agent.destroy();
  worker.ollamaAgent.destroy();
  worker.qdrantAgent.destroy();
}
