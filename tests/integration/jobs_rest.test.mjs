// The job engine's REST face on the MCP port (issue 4, "HTTP 202 pattern"): POST /ingest
// answered 202 with {job_id, status, kind, track_url, poll_after_s} and a Location, the job
// polled to succeeded into the directory sink, 404 for unknown (or someone else's) ids,
// DELETE cancelling queued and running jobs, the SSE stream with Last-Event-ID resume,
// bearer auth on /jobs and /ingest, 400 for bad uploads, 413 past jobs.max_upload_bytes, 503
// with Retry-After when the queue is full, and the job metrics.
//
// Jobs that must wait go to the orchestrator sink while the fake orchestrator holds
// POST /ingest-async unanswered (a hang fault) and one ingest job runs at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './lib/daemon.mjs';
import { control, expectNoViolations, startFakes } from './lib/fakes.mjs';
import {
  acceptedUpload,
  cancelJob,
  cleanups,
  eventually,
  getJob,
  kFinalStates,
  metric,
  readEvents,
  request,
  scrapeMetrics,
  scratchDir,
  uploadFile,
  waitForJob,
} from './lib/jobs.mjs';

const kJobId = /^job_[a-z2-7]{26}$/i;
const kRfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const kIngestAsync = 'POST /ingest-async';

async function directoryDaemon(t, defer, env = {}) {
  const dir = scratchDir(t, 'shield-sink-dir-', defer);
  const daemon = await startDaemon({
    env: {
      SHIELD_MCP_JOBS_STATE_DIR: scratchDir(t, 'shield-state-', defer),
      SHIELD_MCP_SINK_KIND: 'directory',
      SHIELD_MCP_SINK_DIRECTORY: dir,
      ...env,
    },
  });
  defer(() => daemon.stop('SIGTERM', 5000));
  return { daemon, dir };
}

// A daemon whose ingest jobs go to the in-process fake orchestrator, one at a time.
async function orchestratorDaemon(t, defer, env = {}) {
  const fakes = await startFakes({ orchestrator: 0 });
  defer(() => fakes.close());
  const orchestrator = fakes.urls.orchestrator;
  // Runs before fakes.close(): releases held requests so the daemon's stop is quick.
  defer(() => control(orchestrator, 'DELETE', '/_control/faults'));
  const daemon = await startDaemon({
    env: {
      SHIELD_MCP_JOBS_STATE_DIR: scratchDir(t, 'shield-state-', defer),
      SHIELD_MCP_SINK_KIND: 'orchestrator',
      SHIELD_MCP_ORCHESTRATOR_URL: orchestrator,
      // A held request stays held for the whole test, not cut by the attempt timeout.
      SHIELD_MCP_ORCHESTRATOR_TIMEOUT_MS: '30000',
      SHIELD_MCP_SINK_RETRY_BASE_DELAY_MS: '20',
      SHIELD_MCP_SINK_RETRY_MAX_DELAY_MS: '200',
      SHIELD_MCP_JOBS_INGEST_CONCURRENCY: '1',
      ...env,
    },
  });
  defer(() => daemon.stop('SIGTERM', 5000));
  return { daemon, orchestrator };
}

async function ingestCalls(orchestrator) {
  const { json } = await control(orchestrator, 'GET', `/_control/requests?match=${encodeURIComponent(kIngestAsync)}`);
  return json.count;
}

async function hangIngest(orchestrator) {
  const { status } = await control(orchestrator, 'POST', '/_control/faults', { route: kIngestAsync, hang: true });
  assert.equal(status, 201);
}

// Waits until `id` runs and its delivery is held by the fake (`calls` requests seen).
async function heldInDelivery(daemon, orchestrator, id, calls = 1) {
  await waitForJob(daemon.baseUrl, id, { until: (job) => job.state === 'running', deadlineMs: 5000 });
  await eventually(async () => (await ingestCalls(orchestrator)) >= calls, {
    what: `${calls} POST /ingest-async held by the fake`,
  });
}

function assertError(res, status, pattern) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(typeof res.json?.error?.message, 'string', `no error.message in ${res.text}`);
  if (pattern) assert.match(res.json.error.message, pattern);
  return res.json.error;
}

test('202: shape, Location and track_url; the job succeeds into the directory sink', async (t) => {
  const defer = cleanups(t);
  const { daemon, dir } = await directoryDaemon(t, defer, { SHIELD_MCP_JOBS_POLL_AFTER_S: '3' });
  const text = '# Release guide\n\nShip on Tuesdays.\n\n## Rollback\n\nKeep the previous build.\n';

  const started = performance.now();
  const res = await uploadFile(daemon.baseUrl, {
    filename: 'guide.md',
    content: text,
    metadata: { team: 'docs', tags: ['release'] },
  });
  const acceptMs = performance.now() - started;
  assert.equal(res.status, 202, res.text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = res.json;
  assert.deepEqual(Object.keys(body).sort(), ['job_id', 'kind', 'poll_after_s', 'status', 'track_url']);
  assert.match(body.job_id, kJobId);
  assert.equal(body.status, 'accepted');
  assert.equal(body.kind, 'ingest');
  assert.equal(body.poll_after_s, 3);
  assert.equal(body.track_url, `${daemon.baseUrl}/jobs/${body.job_id}`);
  assert.equal(res.headers.get('location'), `/jobs/${body.job_id}`);
  // The project's spec: an accepted job is answered in under 200 ms.
  assert.ok(acceptMs < 200, `POST /ingest took ${acceptMs.toFixed(1)} ms`);

  const tracked = await request(body.track_url);
  assert.equal(tracked.status, 200, tracked.text);
  assert.equal(tracked.json.job_id, body.job_id);
  assert.equal(tracked.json.kind, 'ingest');
  assert.ok(
    ['queued', 'running', 'succeeded'].includes(tracked.json.state),
    `unexpected state ${tracked.json.state}`,
  );
  assert.ok(!('input' in tracked.json), 'the job input (an upload path) must not be shown');

  const job = await waitForJob(daemon.baseUrl, body.job_id);
  assert.equal(job.state, 'succeeded', JSON.stringify(job));
  assert.ok(job.error === undefined || job.error === null, `error on a succeeded job: ${JSON.stringify(job.error)}`);
  assert.equal(job.attempts, 1);
  assert.deepEqual(job.remote_job_ids, []);
  for (const key of ['created_at', 'updated_at', 'started_at', 'finished_at']) {
    assert.match(job[key] ?? '', kRfc3339, `${key}: ${job[key]}`);
  }
  assert.ok(job.created_at <= job.started_at && job.started_at <= job.finished_at);
  assert.equal(typeof job.progress, 'object');
  assert.equal(job.result.documents, 1);
  assert.equal(job.result.delivered, 1);
  assert.equal(job.result.sink, 'directory');
  assert.equal(job.result.type, 'md');
  assert.deepEqual(job.result.warnings, []);

  // One Markdown file with YAML front matter, one manifest line.
  const lines = readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.job_id, body.job_id);
  assert.equal(entry.source, 'upload:guide.md');
  assert.equal(entry.title, 'Release guide');
  assert.equal(entry.content_type, 'text/markdown');
  assert.equal(entry.metadata.team, 'docs');
  assert.deepEqual(entry.metadata.tags, ['release']);
  assert.equal(entry.metadata.filename, 'guide.md');
  assert.match(entry.written_at, kRfc3339);
  assert.deepEqual(readdirSync(dir).sort(), [entry.file, 'manifest.jsonl'].sort());
  const markdown = readFileSync(join(dir, entry.file), 'utf8');
  const front = /^---\n([\s\S]*?)\n---\n\n([\s\S]*)$/.exec(markdown);
  assert.ok(front, `no YAML front matter in:\n${markdown}`);
  assert.match(front[1], new RegExp(`^id: "${entry.id}"$`, 'm'));
  assert.match(front[1], /^source: "upload:guide.md"$/m);
  assert.match(front[1], /^title: "Release guide"$/m);
  assert.match(front[1], new RegExp(`^job_id: "${body.job_id}"$`, 'm'));
  assert.equal(front[2], text);
  assert.equal(entry.bytes, Buffer.byteLength(markdown));

  // A plain-text upload with an explicit doc_type.
  const txt = await acceptedUpload(daemon.baseUrl, {
    filename: 'notes.txt',
    content: 'plain words, no markup',
    contentType: 'text/plain',
    docType: 'txt',
  });
  const txtJob = await waitForJob(daemon.baseUrl, txt);
  assert.equal(txtJob.state, 'succeeded', JSON.stringify(txtJob));
  assert.equal(txtJob.result.type, 'txt');
  const all = readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(all.length, 2);
  assert.equal(all[1].job_id, txt);
  assert.equal(all[1].content_type, 'text/plain');
});

test('documents the runner cannot take fail their job with a clear error', async (t) => {
  const defer = cleanups(t);
  const { daemon, dir } = await directoryDaemon(t, defer);
  const cases = [
    { filename: 'blank.md', content: '  \n\t\n', code: 'invalid_argument', pattern: /empty document.*blank\.md/ },
    {
      filename: 'scan.pdf',
      content: '%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n',
      contentType: 'application/pdf',
      code: 'failed_precondition',
      pattern: /PDF.*not available yet.*scan\.pdf/i,
    },
    {
      filename: 'page.html',
      content: '<!doctype html><html><body><p>hi</p></body></html>',
      contentType: 'text/html',
      code: 'failed_precondition',
      pattern: /HTML.*not available yet/i,
    },
  ];
  for (const { code, pattern, ...upload } of cases) {
    const id = await acceptedUpload(daemon.baseUrl, upload);
    const job = await waitForJob(daemon.baseUrl, id);
    assert.equal(job.state, 'failed', JSON.stringify(job));
    assert.equal(job.error?.code, code, JSON.stringify(job.error));
    assert.match(job.error.message, pattern);
    assert.equal(job.result, null);
  }
  assert.deepEqual(readdirSync(dir), [], 'a failed job wrote to the sink');
  const samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'failed' }), cases.length);
});

test('unknown ids answer 404 with a message naming the id', async (t) => {
  const defer = cleanups(t);
  const { daemon } = await directoryDaemon(t, defer);
  const unknown = 'job_abcdefghijklmnopqrstuvwxyz';
  for (const [method, path] of [
    ['GET', `/jobs/${unknown}`],
    ['DELETE', `/jobs/${unknown}`],
    ['GET', `/jobs/${unknown}/events`],
  ]) {
    const res = await request(`${daemon.baseUrl}${path}`, { method });
    const error = assertError(res, 404, /not found/);
    assert.ok(error.message.includes(unknown), `${method} ${path}: ${error.message}`);
  }
  // Ids that are not ids at all get the same answer, not a server error.
  for (const id of ['not%20an%20id', 'x'.repeat(300), '..%2F..%2Fetc']) {
    const res = await request(`${daemon.baseUrl}/jobs/${id}`);
    assertError(res, 404, /not found/);
  }
  const wrongMethod = await request(`${daemon.baseUrl}/jobs/${unknown}`, { method: 'PUT', body: '{}' });
  assert.equal(wrongMethod.status, 405);
  const getIngest = await request(`${daemon.baseUrl}/ingest`);
  assert.equal(getIngest.status, 405);
  assert.match(getIngest.headers.get('allow') ?? '', /POST/);
});

test('DELETE cancels a queued job at once and reaches a running one', async (t) => {
  const defer = cleanups(t);
  const { daemon, orchestrator } = await orchestratorDaemon(t, defer);
  await hangIngest(orchestrator);

  const running = await acceptedUpload(daemon.baseUrl, { filename: 'first.md', content: '# First\n\nheld\n' });
  await heldInDelivery(daemon, orchestrator, running);
  const queued = await acceptedUpload(daemon.baseUrl, { filename: 'second.md', content: '# Second\n\nwaits\n' });
  assert.equal((await getJob(daemon.baseUrl, queued)).json.state, 'queued');

  const cancelledQueued = await cancelJob(daemon.baseUrl, queued);
  assert.equal(cancelledQueued.status, 200, cancelledQueued.text);
  assert.equal(cancelledQueued.json.job_id, queued);
  assert.equal(cancelledQueued.json.state, 'cancelled', 'a queued job is cancelled at once');
  assert.equal((await getJob(daemon.baseUrl, queued)).json.state, 'cancelled');

  const cancelRunning = await cancelJob(daemon.baseUrl, running);
  assert.equal(cancelRunning.status, 200, cancelRunning.text);
  assert.ok(['running', 'cancelled'].includes(cancelRunning.json.state), cancelRunning.text);
  // The cancel reaches the delivery the fake is holding: no waiting for a timeout.
  const job = await waitForJob(daemon.baseUrl, running, { deadlineMs: 3000 });
  assert.equal(job.state, 'cancelled', JSON.stringify(job));
  assert.match(job.finished_at ?? '', kRfc3339);

  // A final job is answered unchanged; the cancelled queued job never reached the sink.
  const again = await cancelJob(daemon.baseUrl, queued);
  assert.equal(again.status, 200);
  assert.equal(again.json.state, 'cancelled');
  assert.equal(await ingestCalls(orchestrator), 1);
  const samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'cancelled' }), 2);
  assert.equal(metric(samples, 'active_jobs'), 0);
  assert.equal(metric(samples, 'worker_queue_size'), 0);
  await expectNoViolations(orchestrator);
});

test('SSE: events to the final state, the stream ends, Last-Event-ID resumes', async (t) => {
  const defer = cleanups(t);
  const { daemon, orchestrator } = await orchestratorDaemon(t, defer);
  // A slow sink keeps the job alive while the first stream reads.
  await control(orchestrator, 'POST', '/_control/faults', { route: kIngestAsync, latency_ms: 1000 });
  const id = await acceptedUpload(daemon.baseUrl, { filename: 'sse.md', content: '# SSE\n\nstreamed\n' });

  // Read two events live, then drop the connection.
  const first = await readEvents(daemon.baseUrl, id, { maxEvents: 2, deadlineMs: 5000 });
  assert.equal(first.status, 200);
  assert.match(first.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(first.events.length, 2, `events: ${first.text}`);
  assert.equal(first.ended, false, 'the job cannot be final yet: the sink answers after 1 s');

  // Resume after the second: the rest, live, up to the final state; then the server ends it.
  const rest = await readEvents(daemon.baseUrl, id, { lastEventId: first.events[1].id, deadlineMs: 8000 });
  assert.equal(rest.status, 200);
  assert.equal(rest.ended, true, `the stream did not end after the final state:\n${rest.text}`);
  assert.ok(rest.events.length >= 1);

  // A fresh stream of the finished job replays everything and ends.
  const full = await readEvents(daemon.baseUrl, id, { deadlineMs: 5000 });
  assert.equal(full.ended, true, `the replay of a finished job did not end:\n${full.text}`);
  const ids = full.events.map((e) => Number(e.id));
  assert.deepEqual(ids, ids.map((_, i) => i + 1), `event ids are not 1..n: ${ids}`);
  for (const event of full.events) {
    assert.equal(event.event, 'status');
    assert.equal(event.data.job_id, id);
    assert.ok(['queued', 'running', 'succeeded'].includes(event.data.state), event.data.state);
  }
  assert.equal(full.events[0].data.state, 'queued');
  assert.ok(full.events.some((e) => e.data.state === 'running'), 'no running event');
  assert.equal(full.events.at(-1).data.state, 'succeeded');
  assert.equal(full.events.filter((e) => kFinalStates.has(e.data.state)).length, 1);
  // The interrupted reading plus the resumed one are exactly the whole stream.
  assert.deepEqual([...first.events, ...rest.events], full.events);

  // Resuming from the middle of a finished job gives only the later events.
  const k = Math.max(1, full.events.length - 2);
  const tail = await readEvents(daemon.baseUrl, id, { lastEventId: k, deadlineMs: 5000 });
  assert.equal(tail.ended, true);
  assert.deepEqual(tail.events, full.events.slice(k));

  // A client that saw the final event and reconnects must not be left hanging.
  const after = await readEvents(daemon.baseUrl, id, { lastEventId: full.events.at(-1).id, deadlineMs: 3000 });
  assert.equal(after.status, 200);
  assert.deepEqual(after.events, []);
  assert.equal(after.ended, true, 'resuming after the final event: the stream must end at once');
  await expectNoViolations(orchestrator);
});

test('auth: 401 without or with a wrong token; another principal gets 404', async (t) => {
  const defer = cleanups(t);
  const tokenA = 'token-a-2f6c0d4e9b';
  const tokenB = 'token-b-71aa93c0e5';
  const { daemon } = await directoryDaemon(t, defer, { SHIELD_MCP_SERVER_AUTH_TOKENS: `${tokenA},${tokenB}` });
  const anyId = 'job_abcdefghijklmnopqrstuvwxyz';

  for (const token of [undefined, 'wrong-token']) {
    const upload = await uploadFile(daemon.baseUrl, { token });
    assertError(upload, 401);
    assert.match(upload.headers.get('www-authenticate') ?? '', /^Bearer/);
    for (const [method, path] of [
      ['GET', `/jobs/${anyId}`],
      ['DELETE', `/jobs/${anyId}`],
      ['GET', `/jobs/${anyId}/events`],
    ]) {
      const res = await request(`${daemon.baseUrl}${path}`, { method, token });
      assert.equal(res.status, 401, `${method} ${path} with ${token ?? 'no token'}: ${res.status} ${res.text}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  }

  const id = await acceptedUpload(daemon.baseUrl, { token: tokenA, filename: 'private.md' });
  const mine = await waitForJob(daemon.baseUrl, id, { token: tokenA });
  assert.equal(mine.state, 'succeeded', JSON.stringify(mine));

  // To B the job does not exist: the same answer as for an id never issued.
  const unknown = await getJob(daemon.baseUrl, anyId, { token: tokenB });
  const theirs = await getJob(daemon.baseUrl, id, { token: tokenB });
  assertError(theirs, 404, /not found/);
  assert.equal(theirs.json.error.code, unknown.json.error.code);
  assert.equal(theirs.json.error.message, unknown.json.error.message.replace(anyId, id));
  assertError(await cancelJob(daemon.baseUrl, id, { token: tokenB }), 404);
  const events = await readEvents(daemon.baseUrl, id, { token: tokenB, deadlineMs: 2000 });
  assert.equal(events.status, 404, events.text);
  assert.equal(events.events.length, 0);
  // And B's attempts changed nothing.
  const still = await getJob(daemon.baseUrl, id, { token: tokenA });
  assert.equal(still.json.state, 'succeeded');
  assert.equal(still.json.updated_at, mine.updated_at);
});

test('bad uploads get 400 saying what is wrong, and no job', async (t) => {
  const defer = cleanups(t);
  const { daemon } = await directoryDaemon(t, defer);
  const ingest = `${daemon.baseUrl}/ingest`;
  const boundary = 'shieldboundary42';
  // Every case is checked, and all that went wrong reported together.
  const cases = [
    [
      'a JSON body',
      () => request(ingest, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' }),
      /multipart\/form-data/,
    ],
    ['no file part', () => uploadFile(daemon.baseUrl, { file: false, docType: 'md' }), /file/],
    ['an empty file', () => uploadFile(daemon.baseUrl, { content: '' }), /empty/i],
    ['metadata that is not JSON', () => uploadFile(daemon.baseUrl, { metadata: '{"team": ' }), /metadata/],
    ['metadata that is a JSON array', () => uploadFile(daemon.baseUrl, { metadata: '["a", "b"]' }), /metadata must be a JSON object/],
    ['an unknown doc_type', () => uploadFile(daemon.baseUrl, { docType: 'exe' }), /doc_type.*exe/],
    [
      'a body cut off before its closing boundary',
      () =>
        request(ingest, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          body:
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n` +
            'Content-Type: text/markdown\r\n\r\n# half a docu',
        }),
      /multipart|boundary/,
    ],
  ];
  const problems = [];
  for (const [what, send, pattern] of cases) {
    try {
      assertError(await send(), 400, pattern);
    } catch (err) {
      problems.push(`${what}: ${err.message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(problems, []);

  const samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'queued' }), 0, 'a refused upload made a job');
});

test('an upload over jobs.max_upload_bytes gets 413; the limit replaces server.max_body_bytes', async (t) => {
  const defer = cleanups(t);
  const { daemon } = await directoryDaemon(t, defer, {
    SHIELD_MCP_JOBS_MAX_UPLOAD_BYTES: '4096',
    SHIELD_MCP_SERVER_MAX_BODY_BYTES: '1024',
  });
  // Bigger than server.max_body_bytes, within the upload limit: accepted.
  const fits = await acceptedUpload(daemon.baseUrl, { filename: 'fits.txt', content: 'a'.repeat(2500), contentType: 'text/plain' });
  assert.equal((await waitForJob(daemon.baseUrl, fits)).state, 'succeeded');

  const tooBig = await uploadFile(daemon.baseUrl, { filename: 'big.txt', content: 'b'.repeat(6000), contentType: 'text/plain' });
  assertError(tooBig, 413, /4 KiB|4096/);
  const samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'queued' }), 1);
});

test('a full queue answers 503 with Retry-After; the job metrics follow', async (t) => {
  const defer = cleanups(t);
  const { daemon, orchestrator } = await orchestratorDaemon(t, defer, { SHIELD_MCP_JOBS_QUEUE_CAPACITY: '2' });
  let samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'worker_queue_size'), 0);
  assert.equal(metric(samples, 'active_jobs'), 0);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'queued' }), 0);
  await hangIngest(orchestrator);

  const ids = [await acceptedUpload(daemon.baseUrl, { filename: 'q0.md', content: '# Q0\n\nzero\n' })];
  await heldInDelivery(daemon, orchestrator, ids[0]);
  for (const n of [1, 2]) {
    ids.push(await acceptedUpload(daemon.baseUrl, { filename: `q${n}.md`, content: `# Q${n}\n\ntext ${n}\n` }));
  }
  samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'active_jobs'), 1);
  assert.equal(metric(samples, 'worker_queue_size'), 2);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'queued' }), 3);

  const busy = await uploadFile(daemon.baseUrl, { filename: 'q3.md', content: '# Q3\n\nno room\n' });
  const error = assertError(busy, 503, /queue is full.*retry after \d+ s/);
  assert.equal(error.code, 'busy');
  const retryAfter = busy.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^[1-9]\d*$/, `Retry-After: ${retryAfter}`);
  samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'queued' }), 3, 'the refused job was counted');
  assert.equal(metric(samples, 'worker_queue_size'), 2);

  // Let the sink answer: the held request is dropped, the delivery retried, all succeed.
  await control(orchestrator, 'DELETE', '/_control/faults');
  const jobs = await Promise.all(ids.map((id) => waitForJob(daemon.baseUrl, id, { deadlineMs: 8000 })));
  for (const job of jobs) assert.equal(job.state, 'succeeded', JSON.stringify(job));
  samples = await scrapeMetrics(daemon);
  assert.equal(metric(samples, 'active_jobs'), 0);
  assert.equal(metric(samples, 'worker_queue_size'), 0);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'succeeded' }), 3);
  assert.equal(metric(samples, 'jobs_total', { kind: 'ingest', state: 'failed' }), 0);
  assert.equal(metric(samples, 'job_duration_seconds_count', { kind: 'ingest' }), 3);
  assert.equal(metric(samples, 'sink_documents_total', { sink: 'orchestrator', outcome: 'accepted' }), 3);

  // With room again, an upload is accepted.
  const later = await acceptedUpload(daemon.baseUrl, { filename: 'q4.md', content: '# Q4\n\nroom\n' });
  assert.equal((await waitForJob(daemon.baseUrl, later)).state, 'succeeded');
  await expectNoViolations(orchestrator);
});
