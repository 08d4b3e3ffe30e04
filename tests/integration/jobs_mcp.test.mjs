// Jobs through MCP (issue 4, "MCP-native long operations" and "get_job_status"): ingest_doc
// answers at once with its job; get_job_status follows it, sending notifications/progress
// while it waits; the same job runs as an MCP task on 2025-11-25 (params.task, tasks/get,
// tasks/result, tasks/list, tasks/cancel) and on 2026-07-28 (the io.modelcontextprotocol/tasks
// extension, stateless); ids that are not ours go to the orchestrator's GET /jobs/{id}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './lib/daemon.mjs';
import { control, expectNoViolations, startFakes } from './lib/fakes.mjs';
import { cleanups, eventually, scratchDir, waitForJob } from './lib/jobs.mjs';
import { openSession, post } from './lib/mcp_http.mjs';
import { Client, StreamableHTTPClientTransport, types } from './lib/sdk.mjs';

const kTasksExtension = 'io.modelcontextprotocol/tasks';
const kStateless = '2026-07-28';
const kIngestAsync = 'POST /ingest-async';

const b64 = (text) => Buffer.from(text).toString('base64');

async function directoryDaemon(t, defer, env = {}) {
  const daemon = await startDaemon({
    env: {
      SHIELD_MCP_JOBS_STATE_DIR: scratchDir(t, 'shield-state-', defer),
      SHIELD_MCP_SINK_KIND: 'directory',
      SHIELD_MCP_SINK_DIRECTORY: scratchDir(t, 'shield-sink-dir-', defer),
      ...env,
    },
  });
  defer(() => daemon.stop('SIGTERM', 5000));
  return daemon;
}

// Ingest jobs go to the in-process fake orchestrator, which can hold them (hang fault).
async function orchestratorDaemon(t, defer) {
  const fakes = await startFakes({ orchestrator: 0 });
  defer(() => fakes.close());
  const orchestrator = fakes.urls.orchestrator;
  defer(() => control(orchestrator, 'DELETE', '/_control/faults'));
  const daemon = await startDaemon({
    env: {
      SHIELD_MCP_JOBS_STATE_DIR: scratchDir(t, 'shield-state-', defer),
      SHIELD_MCP_SINK_KIND: 'orchestrator',
      SHIELD_MCP_ORCHESTRATOR_URL: orchestrator,
      SHIELD_MCP_ORCHESTRATOR_TIMEOUT_MS: '30000',
    },
  });
  defer(() => daemon.stop('SIGTERM', 5000));
  return { daemon, orchestrator };
}

async function sdkClient(defer, daemon) {
  const client = new Client({ name: 'jobs-mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(daemon.mcpUrl));
  await client.connect(transport);
  defer(() => client.close());
  return client;
}

// One JSON-RPC request in an initialized 2025-11-25 session; returns the response message.
async function sessionCall(daemon, session, id, method, params) {
  const res = await post(daemon.mcpUrl, { jsonrpc: '2.0', id, method, params }, session.headers);
  assert.equal(res.status, 200, `${method} answered ${res.status}: ${res.text}`);
  return res.json?.response ?? res.json;
}

// One stateless 2026-07-28 request with the tasks extension declared.
async function statelessCall(daemon, id, method, params, name) {
  const headers = { 'mcp-protocol-version': kStateless, 'mcp-method': method };
  if (name !== undefined) headers['mcp-name'] = name;
  const body = {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': kStateless,
        'io.modelcontextprotocol/clientInfo': { name: 'jobs-mcp-test', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': { extensions: { [kTasksExtension]: {} } },
      },
    },
  };
  const res = await post(daemon.mcpUrl, body, headers);
  assert.equal(res.status, 200, `${method} answered ${res.status}: ${res.text}`);
  return res.json?.response ?? res.json;
}

test('tools/list: ingest_doc runs as a job or a task, get_job_status is read-only', async (t) => {
  const defer = cleanups(t);
  const daemon = await directoryDaemon(t, defer);
  const client = await sdkClient(defer, daemon);
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
  assert.ok(byName.ingest_doc, 'ingest_doc is listed');
  assert.deepEqual(byName.ingest_doc.execution, { taskSupport: 'optional' });
  assert.equal(byName.ingest_doc.annotations.readOnlyHint, false);
  assert.ok(byName.get_job_status, 'get_job_status is listed');
  assert.equal(byName.get_job_status.annotations.readOnlyHint, true);
  assert.equal(byName.get_job_status.annotations.destructiveHint, false);
  assert.ok((byName.get_job_status.execution?.taskSupport ?? 'forbidden') === 'forbidden');
});

test('ingest_doc answers at once; get_job_status waits with progress to the final state', async (t) => {
  const defer = cleanups(t);
  const daemon = await directoryDaemon(t, defer);
  const client = await sdkClient(defer, daemon);

  const started = performance.now();
  const accepted = await client.callTool({
    name: 'ingest_doc',
    arguments: { content_base64: b64('# Runbook\n\nRestart the pump.\n'), filename: 'runbook.md' },
  });
  const elapsed = performance.now() - started;
  assert.notEqual(accepted.isError, true, JSON.stringify(accepted));
  assert.ok(elapsed < 200, `ingest_doc took ${elapsed.toFixed(1)} ms, over the 200 ms requirement`);
  const { job_id: id, status, track_url: trackUrl, poll_after_s: pollAfter } = accepted.structuredContent;
  assert.match(id, /^job_[a-z2-7]{26}$/);
  assert.equal(status, 'accepted');
  assert.equal(trackUrl, `${daemon.baseUrl}/jobs/${id}`);
  assert.equal(typeof pollAfter, 'number');
  assert.match(accepted.content[0].text, new RegExp(id));
  assert.equal((await fetch(trackUrl)).status, 200, 'track_url is reachable');

  const progress = [];
  const status2 = await client.callTool(
    { name: 'get_job_status', arguments: { job_id: id, wait_seconds: 10 } },
    types.CallToolResultSchema,
    { onprogress: (p) => progress.push(p), timeout: 20_000 },
  );
  assert.notEqual(status2.isError, true, JSON.stringify(status2));
  assert.equal(status2.structuredContent.state, 'succeeded');
  assert.equal(status2.structuredContent.job_id, id);
  assert.equal(status2.structuredContent.result.documents, 1);
  for (let i = 1; i < progress.length; ++i) {
    assert.ok(progress[i].progress > progress[i - 1].progress, 'progress only grows');
  }

  // A job that has already ended answers at once, with or without waiting.
  const again = await client.callTool({ name: 'get_job_status', arguments: { job_id: id } });
  assert.equal(again.structuredContent.state, 'succeeded');
  assert.match(again.content[0].text, /succeeded/);
});

test('get_job_status reports progress while a job runs', async (t) => {
  const defer = cleanups(t);
  const { daemon, orchestrator } = await orchestratorDaemon(t, defer);
  await control(orchestrator, 'POST', '/_control/faults', { route: kIngestAsync, latency_ms: 1500, times: 1 });
  const client = await sdkClient(defer, daemon);
  const accepted = await client.callTool({
    name: 'ingest_doc',
    arguments: { content_base64: b64('Plain notes.\n'), filename: 'notes.txt' },
  });
  const id = accepted.structuredContent.job_id;
  const progress = [];
  const status = await client.callTool(
    { name: 'get_job_status', arguments: { job_id: id, wait_seconds: 15 } },
    types.CallToolResultSchema,
    { onprogress: (p) => progress.push(p), timeout: 30_000 },
  );
  assert.equal(status.structuredContent.state, 'succeeded', JSON.stringify(status.structuredContent));
  assert.ok(progress.length >= 1, 'at least one notifications/progress while the job ran');
  assert.ok(status.structuredContent.remote_job_ids.length >= 1, 'the orchestrator job id is recorded');
  assert.ok(Array.isArray(status.structuredContent.remote), 'remote ingestion states are reported');
  assert.equal(status.structuredContent.remote[0].remote_job_id, status.structuredContent.remote_job_ids[0]);
  await expectNoViolations(orchestrator);
});

test('get_job_status: foreign ids go to the orchestrator; unknown ones are a clear isError', async (t) => {
  const defer = cleanups(t);
  const { daemon, orchestrator } = await orchestratorDaemon(t, defer);
  // A job the orchestrator knows (made through its own API, as another producer would).
  const created = await fetch(new URL('/ingest-async', orchestrator), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      documents: [{
        text: 'hello',
        metadata: { source: 'elsewhere', title: 't', content_type: 'text/plain', job_id: 'other-producer' },
      }],
    }),
  });
  assert.equal(created.status, 202, await created.clone().text());
  const foreign = (await created.json()).job_id;
  const client = await sdkClient(defer, daemon);
  const known = await client.callTool({ name: 'get_job_status', arguments: { job_id: foreign } });
  assert.notEqual(known.isError, true, JSON.stringify(known));
  assert.match(JSON.stringify(known.structuredContent), new RegExp(foreign));
  const unknown = await client.callTool({ name: 'get_job_status', arguments: { job_id: 'job_nosuchjobanywhere' } });
  assert.equal(unknown.isError, true);
  assert.equal(unknown.structuredContent.error.code, 'job_not_found');
  assert.match(unknown.structuredContent.error.message, /job_nosuchjobanywhere/);
  await expectNoViolations(orchestrator);
});

test('2025-11-25: ingest_doc as a task; tasks/get, tasks/result, tasks/list map onto the job', async (t) => {
  const defer = cleanups(t);
  const daemon = await directoryDaemon(t, defer);
  const session = await openSession(daemon.mcpUrl);
  const created = await sessionCall(daemon, session, 2, 'tools/call', {
    name: 'ingest_doc',
    arguments: { content_base64: b64('# Tasks\n\nA task is a job.\n'), filename: 'tasks.md' },
    task: { ttl: 60_000 },
  });
  assert.ok(created.result?.task, JSON.stringify(created));
  const { taskId, status } = created.result.task;
  assert.match(taskId, /^job_/);
  assert.ok(['working', 'completed'].includes(status), status);
  // The task is the job: the REST face sees the same id.
  const job = await waitForJob(daemon.baseUrl, taskId);
  assert.equal(job.state, 'succeeded');

  const got = await sessionCall(daemon, session, 3, 'tasks/get', { taskId });
  assert.equal(got.result.taskId, taskId);
  assert.equal(got.result.status, 'completed');
  const result = await sessionCall(daemon, session, 4, 'tasks/result', { taskId });
  assert.notEqual(result.result.isError, true, JSON.stringify(result));
  assert.equal(result.result.structuredContent.status, 'succeeded');
  assert.equal(result.result.structuredContent.job_id, taskId);
  assert.equal(result.result.structuredContent.result.documents, 1);
  assert.equal(result.result._meta?.['io.modelcontextprotocol/related-task']?.taskId, taskId);
  const listed = await sessionCall(daemon, session, 5, 'tasks/list', {});
  assert.ok(listed.result.tasks.some((task) => task.taskId === taskId), JSON.stringify(listed));
  const unknown = await sessionCall(daemon, session, 6, 'tasks/get', { taskId: 'job_nosuchtask' });
  assert.equal(unknown.error?.code, -32602, JSON.stringify(unknown));
});

test('2025-11-25: tasks/cancel reaches the job in progress', async (t) => {
  const defer = cleanups(t);
  const { daemon, orchestrator } = await orchestratorDaemon(t, defer);
  await control(orchestrator, 'POST', '/_control/faults', { route: kIngestAsync, hang: true });
  const session = await openSession(daemon.mcpUrl);
  const created = await sessionCall(daemon, session, 2, 'tools/call', {
    name: 'ingest_doc',
    arguments: { content_base64: b64('Held by the fake.\n'), filename: 'held.txt' },
    task: {},
  });
  const { taskId } = created.result.task;
  await waitForJob(daemon.baseUrl, taskId, { until: (job) => job.state === 'running' });
  const cancelled = await sessionCall(daemon, session, 3, 'tasks/cancel', { taskId });
  assert.equal(cancelled.result?.status, 'cancelled', JSON.stringify(cancelled));
  const job = await waitForJob(daemon.baseUrl, taskId);
  assert.equal(job.state, 'cancelled');
  const got = await sessionCall(daemon, session, 4, 'tasks/get', { taskId });
  assert.equal(got.result.status, 'cancelled');
});

test('2026-07-28: with the tasks extension, ingest_doc becomes a task tracked by tasks/get', async (t) => {
  const defer = cleanups(t);
  const daemon = await directoryDaemon(t, defer);
  const created = await statelessCall(daemon, 1, 'tools/call', {
    name: 'ingest_doc',
    arguments: { content_base64: b64('# Stateless\n\nStill durable.\n'), filename: 'stateless.md' },
  }, 'ingest_doc');
  assert.equal(created.result?.resultType, 'task', JSON.stringify(created));
  const { taskId } = created.result;
  assert.match(taskId, /^job_/);
  await eventually(async () => {
    const got = await statelessCall(daemon, 2, 'tasks/get', { taskId }, taskId);
    return got.result?.status === 'completed';
  }, { deadlineMs: 10_000, what: 'the task to complete' });
  const done = await statelessCall(daemon, 3, 'tasks/get', { taskId }, taskId);
  assert.equal(done.result.resultType, 'complete');
  assert.notEqual(done.result.result?.isError, true, JSON.stringify(done));
  // Mcp-Name must name the task (SEP-2663).
  const headers = { 'mcp-protocol-version': kStateless, 'mcp-method': 'tasks/get', 'mcp-name': 'job_other' };
  const mismatch = await post(daemon.mcpUrl, {
    jsonrpc: '2.0',
    id: 4,
    method: 'tasks/get',
    params: {
      taskId,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': kStateless,
        'io.modelcontextprotocol/clientInfo': { name: 'x', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': { extensions: { [kTasksExtension]: {} } },
      },
    },
  }, headers);
  assert.equal(mismatch.status, 400);
});
