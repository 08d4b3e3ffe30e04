// The ingestion sinks (issue 4, "Ingestion sinks"), one POST /ingest per sink kind against
// the strict fakes, each also with a transient fault (the sink answers 503 twice, then
// works: the job succeeds and sink_documents_total{outcome="retried"} counts the failed
// attempts) and a permanent one (a 4xx rejection, or for the directory sink a retry budget
// that runs out: the job fails with a message naming the sink and the reason).
//
// Transient-fault tests set the backend's own retry_max_attempts to 1, so the fault reaches
// the sink's retry loop (SinkDelivery) instead of being absorbed by the backend wrapper.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon } from './lib/daemon.mjs';
import { control, expectNoViolations, startFakes } from './lib/fakes.mjs';
import { acceptedUpload, cleanups, metric, scrapeMetrics, scratchDir, waitForJob } from './lib/jobs.mjs';

const kCollection = 'shield-jobs';
const kRetryFast = {
  SHIELD_MCP_SINK_RETRY_BASE_DELAY_MS: '20',
  SHIELD_MCP_SINK_RETRY_MAX_DELAY_MS: '100',
};

let fakes;
before(async () => {
  fakes = await startFakes({ orchestrator: 0, qdrant: 0, ollama: 0, lightrag: 0 });
});
after(() => fakes?.close());
afterEach(async () => {
  // Checked for every test, then everything forgotten for the next one.
  await expectNoViolations(fakes.urls.orchestrator);
  await control(fakes.urls.orchestrator, 'POST', '/_control/reset?all=1');
});

function backendsEnv() {
  return {
    SHIELD_MCP_ORCHESTRATOR_URL: fakes.urls.orchestrator,
    SHIELD_MCP_QDRANT_URL: fakes.urls.qdrant,
    SHIELD_MCP_EMBEDDER_URL: fakes.urls.ollama,
    SHIELD_MCP_EMBEDDER_PROVIDER: 'ollama',
    SHIELD_MCP_EMBEDDER_MODEL: 'nomic-embed-text',
    SHIELD_MCP_LIGHTRAG_URL: fakes.urls.lightrag,
    SHIELD_MCP_LIGHTRAG_MODE: 'direct',
    ...kRetryFast,
  };
}

// A daemon for one test; `defer` (from cleanups) stops it before the test's directories go.
async function sinkDaemon(t, defer, kind, env = {}) {
  const daemon = await startDaemon({
    env: {
      ...backendsEnv(),
      SHIELD_MCP_JOBS_STATE_DIR: scratchDir(t, 'shield-state-', defer),
      SHIELD_MCP_SINK_KIND: kind,
      ...env,
    },
  });
  defer(() => daemon.stop('SIGTERM', 5000));
  return daemon;
}

async function fault(url, spec) {
  const { status, json } = await control(url, 'POST', '/_control/faults', spec);
  assert.equal(status, 201, JSON.stringify(json));
}

async function seen(url, route) {
  const { json } = await control(url, 'GET', `/_control/requests?match=${encodeURIComponent(route)}`);
  return json.count;
}

async function sinkCounts(daemon, sink) {
  const samples = await scrapeMetrics(daemon);
  const out = {};
  for (const outcome of ['accepted', 'retried', 'rejected', 'failed']) {
    out[outcome] = metric(samples, 'sink_documents_total', { sink, outcome });
  }
  return out;
}

async function ingest(daemon, options) {
  const id = await acceptedUpload(daemon.baseUrl, options);
  return waitForJob(daemon.baseUrl, id, { deadlineMs: 10_000 });
}

function succeeded(job) {
  assert.equal(job.state, 'succeeded', JSON.stringify(job));
  return job;
}

function failed(job, code, ...patterns) {
  assert.equal(job.state, 'failed', JSON.stringify(job));
  assert.equal(job.error?.code, code, JSON.stringify(job.error));
  for (const p of patterns) assert.match(job.error.message, p);
  return job;
}

const kGuide = {
  filename: 'guide.md',
  content: '# Guide\n\nRead this first.\n',
  metadata: { team: 'docs' },
};

describe('orchestrator sink', () => {
  test('POST /ingest-async with the document; the remote job id is recorded', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'orchestrator');
    const job = succeeded(await ingest(daemon, kGuide));
    const { json } = await control(fakes.urls.orchestrator, 'GET', '/_control/jobs');
    assert.equal(json.jobs.length, 1);
    const remote = json.jobs[0];
    assert.deepEqual(job.remote_job_ids, [remote.job_id]);
    assert.deepEqual(job.result.remote_job_ids, [remote.job_id]);
    assert.equal(job.result.sink, 'orchestrator');
    assert.equal(remote.documents_sent.length, 1);
    const doc = remote.documents_sent[0];
    assert.equal(doc.text, kGuide.content);
    assert.equal(doc.metadata.source, 'upload:guide.md');
    assert.equal(doc.metadata.title, 'Guide');
    assert.equal(doc.metadata.content_type, 'text/markdown');
    assert.equal(doc.metadata.job_id, job.job_id);
    assert.equal(doc.metadata.attributes.team, 'docs');
    assert.match(doc.metadata.attributes.document_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await sinkCounts(daemon, 'orchestrator'), { accepted: 1, retried: 0, rejected: 0, failed: 0 });
  });

  test('503 twice, then accepted: the job succeeds and the retries are counted', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'orchestrator', { SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_ATTEMPTS: '1' });
    await fault(fakes.urls.orchestrator, { route: 'POST /ingest-async', status: 503, times: 2 });
    const job = succeeded(await ingest(daemon, kGuide));
    assert.equal(job.remote_job_ids.length, 1);
    assert.equal(await seen(fakes.urls.orchestrator, 'POST /ingest-async'), 3);
    assert.deepEqual(await sinkCounts(daemon, 'orchestrator'), { accepted: 1, retried: 2, rejected: 0, failed: 0 });
  });

  test('400: the job fails naming the sink and its reason', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'orchestrator');
    const reason = 'documents from uploads are not allowed here';
    await fault(fakes.urls.orchestrator, { route: 'POST /ingest-async', status: 400, message: reason });
    const job = failed(await ingest(daemon, kGuide), 'failed_precondition', /sink 'orchestrator'/, /400/, new RegExp(reason));
    assert.deepEqual(job.remote_job_ids, []);
    // A rejection is not retried.
    assert.equal(await seen(fakes.urls.orchestrator, 'POST /ingest-async'), 1);
    assert.deepEqual(await sinkCounts(daemon, 'orchestrator'), { accepted: 0, retried: 0, rejected: 1, failed: 0 });
  });

  test('503 past the retry budget: the job fails as unavailable and keeps the document', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'orchestrator', {
      SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_ATTEMPTS: '1',
      SHIELD_MCP_ORCHESTRATOR_BREAKER_FAILURE_THRESHOLD: '1000',
      SHIELD_MCP_SINK_RETRY_BUDGET_MS: '400',
    });
    await fault(fakes.urls.orchestrator, { route: 'POST /ingest-async', status: 503 });
    const job = failed(
      await ingest(daemon, kGuide),
      'unavailable',
      /sink 'orchestrator' kept failing/,
      /retry budget/,
      /1 undelivered document/,
    );
    assert.ok((await seen(fakes.urls.orchestrator, 'POST /ingest-async')) >= 2);
    const counts = await sinkCounts(daemon, 'orchestrator');
    assert.equal(counts.accepted, 0);
    assert.equal(counts.failed, 1);
    assert.ok(counts.retried >= 2, JSON.stringify(counts));
    assert.equal(job.result, null);
  });
});

describe('qdrant sink', () => {
  const kText = [
    '# Operations handbook',
    '',
    'This handbook explains how the team deploys, observes and repairs the service in production.',
    '',
    '## Deploying',
    '',
    'Deployments happen on weekdays before noon. Every deployment is announced in the channel and',
    'rolled out to one zone first, then to the others once the error rate stays flat for an hour.',
    '',
    '## Rolling back',
    '',
    'A rollback restores the previous build. It needs no approval when the error budget is burning,',
    'and the person on call writes a short note about what went wrong afterwards.',
    '',
  ].join('\n');
  const env = {
    SHIELD_MCP_SINK_COLLECTION: kCollection,
    SHIELD_MCP_SINK_CHUNK_TOKENS: '32',
    SHIELD_MCP_SINK_CHUNK_OVERLAP_TOKENS: '4',
  };

  async function points() {
    const res = await fetch(`${fakes.urls.qdrant}/collections/${kCollection}/points/scroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 1000, with_payload: true }),
    });
    assert.equal(res.status, 200);
    return (await res.json()).result.points;
  }

  test('chunked, embedded by the embedder and upserted; re-ingesting replaces the chunks', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'qdrant', env);
    const job = succeeded(await ingest(daemon, { filename: 'handbook.md', content: kText, metadata: { team: 'ops' } }));
    assert.equal(job.result.sink, 'qdrant');
    const chunks = job.result.chunks;
    assert.ok(Number.isInteger(chunks) && chunks >= 3, `chunks: ${chunks}`);
    assert.ok((await seen(fakes.urls.ollama, 'POST /api/embed')) >= 1, 'nothing was embedded');
    const { json: state } = await control(fakes.urls.qdrant, 'GET', '/_control/state');
    assert.equal(state.collections[kCollection]?.points, chunks);
    assert.equal(state.collections[kCollection].vectors.size, 768);

    const stored = await points();
    assert.equal(stored.length, chunks);
    const indexes = stored.map((p) => p.payload.metadata.chunk_index).sort((a, b) => a - b);
    assert.deepEqual(indexes, Array.from({ length: chunks }, (_, i) => i));
    for (const { payload } of stored) {
      assert.ok(payload.document.trim().length > 0);
      assert.equal(payload.metadata.source, 'upload:handbook.md');
      assert.equal(payload.metadata.title, 'Operations handbook');
      assert.equal(payload.metadata.job_id, job.job_id);
      assert.equal(payload.metadata.chunk_count, chunks);
      assert.equal(payload.metadata.team, 'ops');
      assert.ok(Array.isArray(payload.metadata.heading_path));
    }
    assert.ok(
      stored.some((p) => p.payload.metadata.heading_path.includes('Rolling back')),
      'no chunk under the "Rolling back" heading',
    );

    // The same source again, shorter: its points are replaced, the extra ones deleted.
    const short = '# Operations handbook\n\nDeploy on weekdays.\n';
    const again = succeeded(await ingest(daemon, { filename: 'handbook.md', content: short }));
    const now = await points();
    assert.equal(now.length, again.result.chunks);
    assert.ok(now.length < chunks);
    for (const { payload } of now) assert.equal(payload.metadata.job_id, again.job_id);
  });

  test('upsert 503 twice, then stored: the job succeeds and the retries are counted', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'qdrant', { ...env, SHIELD_MCP_QDRANT_RETRY_MAX_ATTEMPTS: '1' });
    await fault(fakes.urls.qdrant, { route: 'PUT /collections/*/points', status: 503, times: 2 });
    const job = succeeded(await ingest(daemon, { filename: 'handbook.md', content: kText }));
    assert.equal((await points()).length, job.result.chunks);
    assert.deepEqual(await sinkCounts(daemon, 'qdrant'), { accepted: 1, retried: 2, rejected: 0, failed: 0 });
  });

  test('upsert 400: the job fails naming the sink and its reason', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'qdrant', env);
    const reason = 'Wrong input: payload rejected by policy';
    await fault(fakes.urls.qdrant, { route: 'PUT /collections/*/points', status: 400, message: reason });
    failed(await ingest(daemon, { filename: 'handbook.md', content: kText }), 'failed_precondition', /sink 'qdrant'/, /400/, new RegExp(reason));
    assert.deepEqual(await sinkCounts(daemon, 'qdrant'), { accepted: 0, retried: 0, rejected: 1, failed: 0 });
  });
});

describe('lightrag sink', () => {
  test('POST /documents/texts; the track id is the remote job id', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'lightrag');
    const job = succeeded(await ingest(daemon, kGuide));
    assert.equal(job.result.sink, 'lightrag');
    assert.equal(await seen(fakes.urls.lightrag, 'POST /documents/texts'), 1);
    assert.equal(job.remote_job_ids.length, 1);
    const track = job.remote_job_ids[0];
    const res = await fetch(`${fakes.urls.lightrag}/documents/track_status/${encodeURIComponent(track)}`);
    assert.equal(res.status, 200);
    const status = await res.json();
    assert.equal(status.total_count, 1);
    assert.equal(status.documents[0].file_path, 'upload:guide.md');
    assert.deepEqual(await sinkCounts(daemon, 'lightrag'), { accepted: 1, retried: 0, rejected: 0, failed: 0 });
  });

  test('503 twice, then inserted: the job succeeds and the retries are counted', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'lightrag', { SHIELD_MCP_LIGHTRAG_RETRY_MAX_ATTEMPTS: '1' });
    await fault(fakes.urls.lightrag, { route: 'POST /documents/texts', status: 503, times: 2 });
    const job = succeeded(await ingest(daemon, kGuide));
    assert.equal(job.remote_job_ids.length, 1);
    assert.equal(await seen(fakes.urls.lightrag, 'POST /documents/texts'), 3);
    assert.deepEqual(await sinkCounts(daemon, 'lightrag'), { accepted: 1, retried: 2, rejected: 0, failed: 0 });
  });

  test('400: the job fails naming the sink and its reason', async (t) => {
    const defer = cleanups(t);
    const daemon = await sinkDaemon(t, defer, 'lightrag');
    const reason = 'texts from this source are refused';
    await fault(fakes.urls.lightrag, { route: 'POST /documents/texts', status: 400, message: reason });
    failed(await ingest(daemon, kGuide), 'failed_precondition', /sink 'lightrag'/, /400/, new RegExp(reason));
    assert.equal(await seen(fakes.urls.lightrag, 'POST /documents/texts'), 1);
    assert.deepEqual(await sinkCounts(daemon, 'lightrag'), { accepted: 0, retried: 0, rejected: 1, failed: 0 });
  });
});

describe('directory sink', () => {
  test('Markdown with front matter and a manifest line', async (t) => {
    const defer = cleanups(t);
    const dir = scratchDir(t, 'shield-sink-dir-', defer);
    const daemon = await sinkDaemon(t, defer, 'directory', { SHIELD_MCP_SINK_DIRECTORY: dir });
    const job = succeeded(await ingest(daemon, kGuide));
    assert.equal(job.result.sink, 'directory');
    const [entry, ...more] = readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(more.length, 0);
    assert.equal(entry.job_id, job.job_id);
    const markdown = readFileSync(join(dir, entry.file), 'utf8');
    assert.ok(markdown.startsWith('---\n'));
    assert.ok(markdown.endsWith(`---\n\n${kGuide.content}`));
    assert.deepEqual(await sinkCounts(daemon, 'directory'), { accepted: 1, retried: 0, rejected: 0, failed: 0 });
  });

  test('the directory cannot be made for a while: retried, then written', async (t) => {
    const defer = cleanups(t);
    const parent = scratchDir(t, 'shield-sink-dir-', defer);
    const dir = join(parent, 'out');
    writeFileSync(dir, 'a file where the sink directory should be');
    const daemon = await sinkDaemon(t, defer, 'directory', { SHIELD_MCP_SINK_DIRECTORY: dir });
    const id = await acceptedUpload(daemon.baseUrl, kGuide);
    // Let it fail at least once, then clear the way.
    const deadline = Date.now() + 5000;
    while ((await sinkCounts(daemon, 'directory')).retried < 1) {
      assert.ok(Date.now() < deadline, 'the directory sink was never retried');
      await sleep(25);
    }
    rmSync(dir);
    succeeded(await waitForJob(daemon.baseUrl, id, { deadlineMs: 5000 }));
    assert.equal(readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').length, 1);
    const counts = await sinkCounts(daemon, 'directory');
    assert.equal(counts.accepted, 1);
    assert.ok(counts.retried >= 1);
  });

  test('the directory stays unwritable past the retry budget: the job fails naming the sink and path', async (t) => {
    const defer = cleanups(t);
    const parent = scratchDir(t, 'shield-sink-dir-', defer);
    const dir = join(parent, 'out');
    writeFileSync(dir, 'in the way');
    const daemon = await sinkDaemon(t, defer, 'directory', { SHIELD_MCP_SINK_DIRECTORY: dir, SHIELD_MCP_SINK_RETRY_BUDGET_MS: '300' });
    const job = failed(await ingest(daemon, kGuide), 'unavailable', /sink 'directory' kept failing/, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const counts = await sinkCounts(daemon, 'directory');
    assert.equal(counts.failed, 1);
    assert.equal(counts.accepted, 0);
    assert.equal(job.result, null);
  });
});
