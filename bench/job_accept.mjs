// Driver for bench/job_accept.sh: the accept latency of an async tool, measured client-side
// per call, and prints one `RESULT key=value ...` line per measured cell (the script turns
// them into a table).
//
// Two ways in, both ending in the same accept path (the document stored durably, its job
// committed to the SQLite journal with fsync, the answer sent before any work is done):
//   tool = `tools/call ingest_doc` (content_base64 + filename) in an initialized MCP session;
//   rest = `POST /ingest` with a multipart/form-data body (the HTTP 202 pattern).
// Every document is a new ~1 KB Markdown note (a serial number and a random tag in it), so
// no two calls store the same bytes.
//
// Every worker owns one keep-alive connection per kind (an http.Agent with maxSockets 1) and,
// for the tool, its own session; it sends its next call when the last one is answered. Each
// cell (kind × concurrency) is split into rounds that alternate the kinds, so drift on the
// shared machine hits both alike. Before every round the daemon's job queue is drained
// (queued and running jobs back to 0), so a round starts from an idle engine; during the
// round the accepted jobs run next to the accepts, as they would in service.
//
// A failed call (HTTP error, isError, a "busy" refusal, a broken connection) is counted and
// its latency left out of the percentiles; the table shows the count next to them.
//
//   node bench/job_accept.mjs --mcp URL --base URL --metrics URL
//        [--requests N] [--rounds R] [--concurrency 1,4,16] [--warmup N] [--cell-seconds S]
import crypto from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    mcp: { type: 'string' },
    base: { type: 'string' },
    metrics: { type: 'string' },
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4,16' },
    warmup: { type: 'string', default: '100' },
    'cell-seconds': { type: 'string', default: '120' },
    'drain-seconds': { type: 'string', default: '120' },
  },
});
for (const key of ['mcp', 'base', 'metrics']) {
  if (!opt[key]) throw new Error(`--${key} URL is required`);
}
const kRequests = Number(opt.requests);
const kRounds = Number(opt.rounds);
const kConcurrency = opt.concurrency.split(',').map(Number);
const kWarmup = Number(opt.warmup);
const kCellSeconds = Number(opt['cell-seconds']);
const kDrainSeconds = Number(opt['drain-seconds']);
const kMaxConcurrency = Math.max(...kConcurrency);
const kCallTimeoutMs = 30_000;

// ---- one request on one worker's own keep-alive connection ----

function send(agent, url, method, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        timeout: kCallTimeoutMs,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
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
    req.on('timeout', () => req.destroy(new Error(`no answer within ${kCallTimeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

let acceptedTotal = 0; // every call answered "accepted", warm-up included
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 1 });

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
      params: { protocolVersion: kVersion, capabilities: {}, clientInfo: { name: 'bench-job-accept', version: '1' } },
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

async function rpc(session, method, params) {
  const res = await send(session.agent, opt.mcp, 'POST', { jsonrpc: '2.0', id: session.id++, method, params }, session.headers);
  if (res.status !== 200) throw new Error(`${method}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  const message = rpcResponse(res);
  if (message.error) throw new Error(`${method}: JSON-RPC error ${JSON.stringify(message.error)}`);
  return message.result;
}

// ---- the documents: ~1 KB of Markdown, each one new ----

let serial = 0;
const kFiller =
  'The job engine journals every accepted job in SQLite before it answers, so a crash after ' +
  'the answer loses nothing; the document waits in the state directory until the sink takes it.';
function newDocument() {
  const n = serial++;
  const tag = crypto.randomBytes(8).toString('hex');
  const text =
    `# Benchmark note ${n}\n\nTag \`${tag}\`, written by bench/job_accept.mjs.\n\n` +
    `## Why\n\n${kFiller}\n\n## What\n\n- item ${n}.1: ${kFiller.slice(0, 120)}\n` +
    `- item ${n}.2: ${kFiller.slice(120)}\n\n## Notes\n\n${kFiller} (${tag})\n\n` +
    `${kFiller.slice(0, 200)}\n`;
  return { filename: `bench-${n}-${tag}.md`, text };
}

// ---- the two operations being timed; each returns nothing or throws ----

async function toolAccept(worker) {
  const doc = newDocument();
  const result = await rpc(worker.session, 'tools/call', {
    name: 'ingest_doc',
    arguments: { content_base64: Buffer.from(doc.text).toString('base64'), filename: doc.filename },
  });
  const accepted = result.structuredContent;
  if (result.isError || accepted?.status !== 'accepted' || !accepted.job_id) {
    throw new Error(`ingest_doc: ${JSON.stringify(result.structuredContent ?? result).slice(0, 300)}`);
  }
}

const kBoundary = 'bench-job-accept-boundary-7c1d';
async function restAccept(worker) {
  const doc = newDocument();
  const body = Buffer.from(
    `--${kBoundary}\r\nContent-Disposition: form-data; name="file"; filename="${doc.filename}"\r\n` +
      `Content-Type: text/markdown\r\n\r\n${doc.text}\r\n--${kBoundary}--\r\n`,
  );
  const res = await send(worker.restAgent, `${opt.base}/ingest`, 'POST', body, {
    'content-type': `multipart/form-data; boundary=${kBoundary}`,
    'content-length': body.length,
    accept: 'application/json',
  });
  if (res.status !== 202) throw new Error(`POST /ingest: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  const accepted = JSON.parse(res.text);
  if (accepted.status !== 'accepted' || !accepted.job_id) throw new Error(`POST /ingest: ${res.text.slice(0, 300)}`);
}

const kinds = { tool: toolAccept, rest: restAccept };

// Runs up to `count` operations of `kind` on the first `concurrency` workers, until
// `deadline` (hrtime ns); returns the latencies (ms) of the calls that succeeded, the
// failures and the wall time.
async function run(workers, kind, count, concurrency, deadline) {
  const latencies = [];
  const failures = [];
  let left = count;
  const started = process.hrtime.bigint();
  await Promise.all(
    workers.slice(0, concurrency).map(async (worker) => {
      while (left > 0 && process.hrtime.bigint() < deadline) {
        left -= 1;
        const t0 = process.hrtime.bigint();
        try {
          await kinds[kind](worker);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          acceptedTotal += 1;
        } catch (e) {
          failures.push(e.message);
          // A broken keep-alive connection must not break the next call on this worker.
          if (kind === 'rest') worker.restAgent = newAgent();
        }
      }
    }),
  );
  return { latencies, failures, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

// ---- metrics: the daemon's own view ----

async function scrape() {
  const res = await send(undefined, opt.metrics, 'GET');
  const text = res.text;
  const value = (pattern) => Number(text.match(pattern)?.[1] ?? NaN);
  // A histogram's cumulative buckets, sum and count for one label set.
  const histogram = (name, label) => {
    const buckets = [];
    const re = new RegExp(`^${name}_bucket\\{${label},le="([^"]+)"\\} (\\S+)`, 'gm');
    for (const m of text.matchAll(re)) buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), n: Number(m[2]) });
    return {
      buckets,
      sum: value(new RegExp(`^${name}_sum\\{${label}\\} (\\S+)`, 'm')),
      count: value(new RegExp(`^${name}_count\\{${label}\\} (\\S+)`, 'm')),
    };
  };
  return {
    tool: histogram('tool_duration_seconds', 'tool="ingest_doc"'),
    rest: histogram('api_duration_seconds', 'endpoint="/ingest"'),
    queued: value(/^worker_queue_size (\S+)/m),
    running: value(/^active_jobs (\S+)/m),
    succeeded: value(/^jobs_total\{kind="ingest",state="succeeded"\} (\S+)/m),
    failed: value(/^jobs_total\{kind="ingest",state="failed"\} (\S+)/m),
  };
}

// The difference of two scrapes of one histogram, accumulated into `into`.
function addHistogram(into, before, after) {
  into.sum += after.sum - before.sum;
  into.count += after.count - before.count;
  after.buckets.forEach((b, i) => {
    into.buckets[i] = { le: b.le, n: (into.buckets[i]?.n ?? 0) + b.n - (before.buckets[i]?.n ?? 0) };
  });
}

// The bucket bound under which p percent of the observations fall ("≤2.5" ms).
function bucketPercentile(h, p) {
  if (h.count === 0 || h.buckets.length === 0) return 'n/a';
  const wanted = (p / 100) * h.count;
  const hit = h.buckets.find((b) => b.n >= wanted);
  return hit.le === Infinity ? '>60000' : `≤${+(hit.le * 1000).toFixed(1)}`;
}

async function drain() {
  const deadline = Date.now() + kDrainSeconds * 1000;
  for (;;) {
    const m = await scrape();
    if (m.queued === 0 && m.running === 0) return m;
    if (Date.now() > deadline) throw new Error(`the job queue did not drain within ${kDrainSeconds} s (queued ${m.queued}, running ${m.running})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- statistics ----

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function report(name, concurrency, cell) {
  const sorted = [...cell.latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (p) => (n ? percentile(sorted, p).toFixed(3) : 'n/a');
  const fields = {
    name,
    c: concurrency,
    n,
    errors: cell.failures.length,
    p50_ms: at(50),
    p90_ms: at(90),
    p99_ms: at(99),
    max_ms: n ? sorted.at(-1).toFixed(3) : 'n/a',
    mean_ms: n ? (sorted.reduce((a, b) => a + b, 0) / n).toFixed(3) : 'n/a',
    rps: (n / cell.seconds).toFixed(1),
    daemon_mean_ms: cell.daemon.count ? ((1000 * cell.daemon.sum) / cell.daemon.count).toFixed(3) : 'n/a',
    daemon_p50_ms: bucketPercentile(cell.daemon, 50),
    daemon_p99_ms: bucketPercentile(cell.daemon, 99),
    daemon_count: cell.daemon.count,
    max_queued: cell.maxQueued,
  };
  console.log(`RESULT ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const samples = [...new Set(cell.failures)].slice(0, 3);
  for (const s of samples) console.error(`${name} c=${concurrency} failure: ${s}`);
}

// ---- the run ----

const workers = [];
for (let i = 0; i < kMaxConcurrency; i++) {
  const agent = newAgent();
  workers.push({ session: await openSession(agent), restAgent: newAgent() });
}

// The tool is measured only where the daemon offers it (it may be a build from before its
// registration); POST /ingest is always there.
const listed = await rpc(workers[0].session, 'tools/list', {});
const activeKinds = listed.tools.some((t) => t.name === 'ingest_doc') ? ['tool', 'rest'] : ['rest'];
if (!activeKinds.includes('tool')) console.log('RESULT name=tool_unavailable c=0');

const start = await scrape();
for (const kind of activeKinds) await run(workers, kind, kWarmup, kMaxConcurrency, process.hrtime.bigint() + 60_000_000_000n);
await drain();

for (const concurrency of kConcurrency) {
  const cells = {};
  for (const kind of activeKinds) {
    cells[kind] = { latencies: [], failures: [], seconds: 0, daemon: { sum: 0, count: 0, buckets: [] }, maxQueued: 0 };
  }
  const deadline = process.hrtime.bigint() + BigInt(kCellSeconds * activeKinds.length) * 1_000_000_000n;
  const perRound = Math.ceil(kRequests / kRounds);
  for (let round = 0; round < kRounds; round++) {
    for (const kind of activeKinds) {
      const before = await drain();
      const cell = cells[kind];
      // The backlog the accepts build up: sampled while the round runs.
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const m = await scrape();
          cell.maxQueued = Math.max(cell.maxQueued, m.queued);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const r = await run(workers, kind, perRound, concurrency, deadline);
      sampling = false;
      await sampler;
      const after = await scrape();
      cell.latencies.push(...r.latencies);
      cell.failures.push(...r.failures);
      cell.seconds += r.seconds;
      addHistogram(cell.daemon, before[kind], after[kind]);
    }
  }
  for (const kind of activeKinds) report(kind, concurrency, cells[kind]);
}

// Every accepted job must also finish: the accept path is only honest if the work it
// promises gets done. The sink is a local directory, so they all succeed within the drain.
const end = await drain();
console.log(
  `RESULT name=jobs c=0 accepted=${acceptedTotal} succeeded=${end.succeeded - start.succeeded} ` +
    `failed=${end.failed - start.failed}`,
);
for (const worker of workers) {
  worker.session.agent.destroy();
  worker.restAgent.destroy();
}
