// Durability of the job engine (issue 4, "Durability: no accepted job is ever lost"): the
// daemon is killed with SIGKILL in the middle of jobs and restarted on the same state
// directory, and nothing accepted may be lost:
//   1. the sink is down while 20 uploads are accepted; kill -9; the sink comes back; after
//      the restart all 20 succeed and the orchestrator holds each document exactly once;
//   2. kill -9 while deliveries are held mid-flight by the sink; after the restart the jobs
//      resume and finish, none lost, none left running, no document doubled;
//   3. kill -9 straight into a burst of uploads: every id that got a 202 exists afterwards
//      and its job completes;
//   4. finished jobs (succeeded and failed) stay queryable, unchanged, across restarts,
//      clean and hard, and their event streams still replay to the final state.
// The fakes run in a child process (spawnFakes): the test kills and restarts daemons and
// must not share its event loop with the backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { control, expectNoViolations, spawnFakes } from './lib/fakes.mjs';
import {
  DurableDaemon,
  acceptedUpload,
  cleanups,
  eventually,
  getJob,
  kAllStates,
  readEvents,
  scratchDir,
  uploadFile,
  waitForJob,
  waitForJobs,
} from './lib/jobs.mjs';

const kIngestAsync = 'POST /ingest-async';

// The orchestrator fake, plus LightRAG's port as a control channel: a downed fake's own
// port refuses connections, so /_control/up must reach it through another fake.
async function fakes(defer) {
  const f = await spawnFakes(['orchestrator', 'lightrag']);
  defer(() => f.close());
  defer(() => control(f.urls.orchestrator, 'DELETE', '/_control/faults').catch(() => {}));
  return f.urls;
}

function orchestratorEnv(orchestrator, extra = {}) {
  return {
    SHIELD_MCP_SINK_KIND: 'orchestrator',
    SHIELD_MCP_ORCHESTRATOR_URL: orchestrator,
    SHIELD_MCP_ORCHESTRATOR_TIMEOUT_MS: '30000',
    SHIELD_MCP_ORCHESTRATOR_CONNECT_TIMEOUT_MS: '500',
    SHIELD_MCP_ORCHESTRATOR_RETRY_BASE_DELAY_MS: '20',
    SHIELD_MCP_ORCHESTRATOR_RETRY_MAX_DELAY_MS: '100',
    SHIELD_MCP_ORCHESTRATOR_BREAKER_OPEN_MS: '300',
    SHIELD_MCP_SINK_RETRY_BASE_DELAY_MS: '20',
    SHIELD_MCP_SINK_RETRY_MAX_DELAY_MS: '200',
    ...extra,
  };
}

function document(n) {
  const name = `doc-${String(n).padStart(2, '0')}.md`;
  return { filename: name, content: `# Document ${n}\n\nThe body of document number ${n}.\n` };
}

// Every document the orchestrator fake holds, across its jobs: [{remote, text, metadata}].
async function orchestratorDocuments(orchestrator) {
  const { status, json } = await control(orchestrator, 'GET', '/_control/jobs');
  assert.equal(status, 200);
  return json.jobs.flatMap((job) =>
    job.documents_sent.map((d) => ({ remote: job.job_id, text: d.text, metadata: d.metadata })),
  );
}

// Each job's one document reached the orchestrator exactly once (a re-sent batch carries
// the same Idempotency-Key and lands on the same orchestrator job, so it never doubles),
// and the job recorded the orchestrator job that holds it.
async function assertDeliveredOnce(orchestrator, jobs, docs) {
  const held = await orchestratorDocuments(orchestrator);
  const byId = new Map();
  for (const d of held) {
    const id = d.metadata.attributes?.document_id;
    assert.ok(id, `a document without attributes.document_id: ${JSON.stringify(d.metadata)}`);
    byId.set(id, [...(byId.get(id) ?? []), d]);
  }
  for (const [id, copies] of byId) {
    assert.equal(copies.length, 1, `document ${id} (${copies[0].metadata.source}) was ingested ${copies.length} times`);
  }
  assert.equal(held.length, jobs.length, `the orchestrator holds ${held.length} documents for ${jobs.length} jobs`);
  jobs.forEach((job, i) => {
    const mine = held.filter((d) => d.metadata.job_id === job.job_id);
    assert.equal(mine.length, 1, `job ${job.job_id}: ${mine.length} documents at the orchestrator`);
    assert.equal(mine[0].metadata.source, `upload:${docs[i].filename}`);
    assert.equal(mine[0].text, docs[i].content);
    assert.deepEqual(job.remote_job_ids, [mine[0].remote], `job ${job.job_id} remote ids`);
    assert.equal(job.result.delivered, 1);
  });
}

test('sink down, kill -9, sink back: all 20 accepted jobs succeed, each document once', async (t) => {
  const defer = cleanups(t);
  const urls = await fakes(defer);
  const durable = new DurableDaemon(orchestratorEnv(urls.orchestrator));
  defer(() => durable.close());
  let daemon = await durable.start();

  const down = await control(urls.lightrag, 'POST', '/_control/down', { fake: 'orchestrator' });
  assert.equal(down.status, 200, JSON.stringify(down.json));

  const docs = Array.from({ length: 20 }, (_, n) => document(n));
  const ids = [];
  for (const doc of docs) ids.push(await acceptedUpload(daemon.baseUrl, doc));
  assert.equal(new Set(ids).size, 20);
  // Let the runners take jobs and fail against the downed sink before the kill.
  await eventually(
    async () => {
      const states = await Promise.all(ids.map(async (id) => (await getJob(daemon.baseUrl, id)).json.state));
      return states.filter((s) => s === 'running').length >= 2;
    },
    { what: 'jobs running against the downed sink' },
  );
  for (const id of ids) {
    const { json } = await getJob(daemon.baseUrl, id);
    assert.ok(['queued', 'running'].includes(json.state), `job ${id} is ${json.state} while the sink is down`);
  }

  await durable.kill();
  const up = await control(urls.lightrag, 'POST', '/_control/up', { fake: 'orchestrator' });
  assert.equal(up.status, 200, JSON.stringify(up.json));
  daemon = await durable.start();

  const jobs = await waitForJobs(daemon.baseUrl, ids, { deadlineMs: 15_000, intervalMs: 100 });
  for (const job of jobs) assert.equal(job.state, 'succeeded', JSON.stringify(job));
  await assertDeliveredOnce(urls.orchestrator, jobs, docs);
  await expectNoViolations(urls.orchestrator);
});

test('kill -9 while deliveries hang mid-flight: the jobs resume and finish, none lost', async (t) => {
  const defer = cleanups(t);
  const urls = await fakes(defer);
  const durable = new DurableDaemon(orchestratorEnv(urls.orchestrator, { SHIELD_MCP_JOBS_INGEST_CONCURRENCY: '3' }));
  defer(() => durable.close());
  let daemon = await durable.start();
  await control(urls.orchestrator, 'POST', '/_control/faults', { route: kIngestAsync, hang: true });

  const docs = Array.from({ length: 6 }, (_, n) => document(n));
  const ids = [];
  for (const doc of docs) ids.push(await acceptedUpload(daemon.baseUrl, doc));
  // Three deliveries are in the fake's hands, unanswered; three jobs wait in the queue.
  await eventually(
    async () => {
      const { json } = await control(urls.orchestrator, 'GET', `/_control/requests?match=${encodeURIComponent(kIngestAsync)}`);
      return json.count >= 3;
    },
    { what: 'three deliveries held by the fake' },
  );
  const before = await Promise.all(ids.map(async (id) => (await getJob(daemon.baseUrl, id)).json));
  assert.equal(before.filter((j) => j.state === 'running').length, 3, JSON.stringify(before.map((j) => j.state)));

  await durable.kill();
  await control(urls.orchestrator, 'DELETE', '/_control/faults');
  daemon = await durable.start();

  const jobs = await waitForJobs(daemon.baseUrl, ids, { deadlineMs: 15_000, intervalMs: 100 });
  for (const job of jobs) assert.equal(job.state, 'succeeded', JSON.stringify(job));
  // The three that were running ran again (resumed); the queued ones ran once.
  jobs.forEach((job, i) => {
    if (before[i].state === 'running') assert.equal(job.attempts, 2, `job ${job.job_id} attempts`);
    else assert.equal(job.attempts, 1, `job ${job.job_id} attempts`);
  });
  await assertDeliveredOnce(urls.orchestrator, jobs, docs);
  await expectNoViolations(urls.orchestrator);
});

test('kill -9 right after a burst is accepted: every job that got a 202 exists and completes', async (t) => {
  const defer = cleanups(t);
  const dir = scratchDir(t, 'shield-sink-dir-', defer);
  const durable = new DurableDaemon({ SHIELD_MCP_SINK_KIND: 'directory', SHIELD_MCP_SINK_DIRECTORY: dir });
  defer(() => durable.close());
  let daemon = await durable.start();

  const burst = 40;
  const killAfter = 10;
  const accepted = [];
  let killed;
  const uploads = Array.from({ length: burst }, (_, n) =>
    uploadFile(daemon.baseUrl, { ...document(n), timeoutMs: 5000 }).then(
      (res) => {
        if (res.status === 202) {
          accepted.push({ id: res.json.job_id, n });
          // No waiting: the kill goes out as soon as enough answers are in.
          if (accepted.length === killAfter) killed = durable.kill();
        } else {
          // Only a refusal the daemon chose would land here; none is expected.
          assert.fail(`upload ${n} answered ${res.status}: ${res.text}`);
        }
      },
      () => {}, // cut off by the kill: never accepted, so nothing to find
    ),
  );
  await Promise.all(uploads);
  await (killed ?? durable.kill());
  assert.ok(accepted.length >= killAfter, `only ${accepted.length} uploads were accepted`);
  t.diagnostic(`${accepted.length} of ${burst} uploads accepted before the kill`);

  daemon = await durable.start();
  for (const { id } of accepted) {
    const res = await getJob(daemon.baseUrl, id);
    assert.equal(res.status, 200, `accepted job ${id} is gone after kill -9: ${res.text}`);
    assert.ok(kAllStates.has(res.json.state));
  }
  const jobs = await waitForJobs(daemon.baseUrl, accepted.map((a) => a.id), { deadlineMs: 15_000, intervalMs: 100 });
  const manifest = readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  jobs.forEach((job, i) => {
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    const { n } = accepted[i];
    const lines = manifest.filter((m) => m.job_id === job.job_id);
    assert.ok(lines.length >= 1, `job ${job.job_id} wrote nothing`);
    // A redelivery after the kill may add a line, but only for the same document.
    assert.equal(new Set(lines.map((m) => m.id)).size, 1);
    assert.equal(lines[0].source, `upload:${document(n).filename}`);
    assert.ok(existsSync(join(dir, lines[0].file)));
  });
});

test('finished jobs stay queryable, unchanged, across a clean and a hard restart', async (t) => {
  const defer = cleanups(t);
  const dir = scratchDir(t, 'shield-sink-dir-', defer);
  const durable = new DurableDaemon({ SHIELD_MCP_SINK_KIND: 'directory', SHIELD_MCP_SINK_DIRECTORY: dir });
  defer(() => durable.close());
  let daemon = await durable.start();

  const ok = await acceptedUpload(daemon.baseUrl, document(1));
  // PDF extraction is not in this build yet: the job fails with a clear error.
  const bad = await acceptedUpload(daemon.baseUrl, {
    filename: 'scan.pdf',
    content: '%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n',
    contentType: 'application/pdf',
    docType: 'pdf',
  });
  const finished = await Promise.all([ok, bad].map((id) => waitForJob(daemon.baseUrl, id)));
  assert.equal(finished[0].state, 'succeeded', JSON.stringify(finished[0]));
  assert.equal(finished[1].state, 'failed', JSON.stringify(finished[1]));
  assert.match(finished[1].error.message, /not available yet/);
  const streams = await Promise.all([ok, bad].map((id) => readEvents(daemon.baseUrl, id, { deadlineMs: 3000 })));

  for (const how of ['clean', 'hard']) {
    if (how === 'clean') {
      await daemon.stop('SIGTERM', 5000);
      daemon = await durable.start();
    } else {
      daemon = await durable.restart();
    }
    for (const [i, id] of [ok, bad].entries()) {
      const res = await getJob(daemon.baseUrl, id);
      assert.equal(res.status, 200, `${how} restart: ${id}: ${res.text}`);
      assert.deepEqual(res.json, finished[i], `${how} restart changed job ${id}`);
      const replay = await readEvents(daemon.baseUrl, id, { deadlineMs: 3000 });
      assert.equal(replay.ended, true, `${how} restart: the event stream of ${id} did not end`);
      assert.deepEqual(replay.events, streams[i].events, `${how} restart: events of ${id}`);
    }
  }
  const lines = readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 1, 'a finished job was delivered again after a restart');
});
