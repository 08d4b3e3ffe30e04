// Helpers for the job engine's REST face (POST /ingest, GET/DELETE /jobs/{id},
// GET /jobs/{id}/events) and for durability runs: every helper has a deadline, so a daemon
// that never answers fails the test instead of hanging it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, tempDir } from './daemon.mjs';

export const kFinalStates = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
export const kAllStates = new Set(['queued', 'running', ...kFinalStates]);

export function authHeaders(token) {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

async function answer(res) {
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// POST /ingest as multipart/form-data: a `file` part (omitted with file: null) plus the
// optional doc_type and metadata fields. `metadata` may be an object (sent as JSON) or a
// string (sent as is, for malformed-metadata tests). Resolves {status, headers, text, json}.
export async function uploadFile(
  baseUrl,
  {
    filename = 'note.md',
    content = '# Note\n\nSome text.\n',
    contentType = 'text/markdown',
    docType,
    metadata,
    token,
    file = true,
    timeoutMs = 5000,
  } = {},
) {
  const form = new FormData();
  if (file) form.append('file', new Blob([content], { type: contentType }), filename);
  if (docType !== undefined) form.append('doc_type', docType);
  if (metadata !== undefined) {
    form.append('metadata', typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
  }
  const res = await fetch(`${baseUrl}/ingest`, {
    method: 'POST',
    headers: authHeaders(token),
    body: form,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return answer(res);
}

// An upload that must be accepted: asserts the 202 and returns the job id.
export async function acceptedUpload(baseUrl, options = {}) {
  const res = await uploadFile(baseUrl, options);
  assert.equal(res.status, 202, `POST /ingest answered ${res.status}: ${res.text}`);
  assert.match(res.json?.job_id ?? '', /^job_/, `no job_id in ${res.text}`);
  return res.json.job_id;
}

// Any request to the daemon, with an optional bearer token: {status, headers, text, json}.
export async function request(url, { method = 'GET', token, headers = {}, body, timeoutMs = 5000 } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...authHeaders(token), ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return answer(res);
}

export function getJob(baseUrl, id, { token } = {}) {
  return request(`${baseUrl}/jobs/${id}`, { token });
}

export function cancelJob(baseUrl, id, { token } = {}) {
  return request(`${baseUrl}/jobs/${id}`, { method: 'DELETE', token });
}

// Polls GET /jobs/{id} until `until(job)` holds (default: a final state) and returns the
// job; fails with the last state seen once `deadlineMs` has passed.
export async function waitForJob(
  baseUrl,
  id,
  { token, deadlineMs = 10_000, intervalMs = 50, until = (job) => kFinalStates.has(job.state) } = {},
) {
  const deadline = Date.now() + deadlineMs;
  let last;
  for (;;) {
    const res = await getJob(baseUrl, id, { token });
    assert.equal(res.status, 200, `GET /jobs/${id} answered ${res.status}: ${res.text}`);
    last = res.json;
    if (until(last)) return last;
    if (Date.now() > deadline) {
      assert.fail(`job ${id} did not reach the expected state within ${deadlineMs} ms; last: ${JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

// Waits for every id; returns the jobs in the same order.
export function waitForJobs(baseUrl, ids, options = {}) {
  return Promise.all(ids.map((id) => waitForJob(baseUrl, id, options)));
}

// Polls `probe()` until it returns a truthy value (which is returned) or the deadline.
export async function eventually(probe, { deadlineMs = 5000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + deadlineMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what} did not hold within ${deadlineMs} ms`);
    await sleep(intervalMs);
  }
}

// Reads GET /jobs/{id}/events until the server ends the stream, `maxEvents` events have
// arrived (then the client disconnects), or `deadlineMs` passes (then it disconnects too).
// Resolves {status, headers, events: [{id, event, data}], comments, ended, text}:
// `ended` is true only when the server closed the stream; `data` is parsed JSON.
export async function readEvents(
  baseUrl,
  id,
  { token, lastEventId, deadlineMs = 8000, maxEvents = Infinity } = {},
) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  const headers = { accept: 'text/event-stream', ...authHeaders(token) };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const out = { status: 0, headers: undefined, events: [], comments: 0, ended: false, text: '' };
  try {
    const res = await fetch(`${baseUrl}/jobs/${id}/events`, { headers, signal: controller.signal });
    out.status = res.status;
    out.headers = res.headers;
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      out.text = await res.text();
      try {
        out.json = JSON.parse(out.text);
      } catch {
        // not JSON: the text says what it is
      }
      out.ended = true;
      return out;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        out.ended = true;
        break;
      }
      const chunk = decoder.decode(value, { stream: true });
      out.text += chunk;
      buffer += chunk;
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const frame = parseFrame(block);
        if (frame === 'comment') out.comments += 1;
        else if (frame) out.events.push(frame);
      }
      if (out.events.length >= maxEvents) {
        controller.abort();
        break;
      }
    }
  } catch (err) {
    if (err.name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
  }
  return out;
}

function parseFrame(block) {
  const frame = { id: undefined, event: 'message', data: undefined };
  const data = [];
  let sawField = false;
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    sawField = true;
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') data.push(value);
  }
  if (!sawField) return 'comment';
  if (data.length) frame.data = JSON.parse(data.join('\n'));
  return frame;
}

export { metric, scrapeMetrics } from './metrics.mjs';

// A daemon on a job state directory of its own that the test can SIGKILL and restart on
// the same journal. Every daemon it ever started is stopped, and the state directory
// removed, by close() (call it from t.after).
export class DurableDaemon {
  constructor(env = {}) {
    this.stateDir = env.SHIELD_MCP_JOBS_STATE_DIR ?? tempDir('shield-jobs-state-');
    this.env = { ...env, SHIELD_MCP_JOBS_STATE_DIR: this.stateDir };
    this.daemons = [];
    this.current = undefined;
  }

  async start() {
    assert.ok(!this.running(), 'a daemon already runs on this state directory');
    this.current = await startDaemon({ env: this.env });
    this.daemons.push(this.current);
    return this.current;
  }

  running() {
    const c = this.current?.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  get baseUrl() {
    return this.current.baseUrl;
  }

  // kill -9: no shutdown path runs, the journal is left as the crash leaves it.
  async kill() {
    const d = this.current;
    if (!this.running()) return d?.exited;
    d.child.kill('SIGKILL');
    const result = await d.exited;
    assert.equal(result.signal, 'SIGKILL', `the daemon exited by itself: ${JSON.stringify(result)}`);
    return result;
  }

  async restart() {
    await this.kill();
    return this.start();
  }

  async close({ removeState = true } = {}) {
    await Promise.all(this.daemons.map((d) => d.stop('SIGTERM', 5000)));
    if (removeState) rmSync(this.stateDir, { recursive: true, force: true });
  }
}

// A temporary directory removed when the test ends. `defer` (a LIFO cleanup registrar,
// see cleanups()) lets the removal run after the daemons using it have stopped; without
// it, t.after is used.
export function scratchDir(t, prefix = 'shield-jobs-', defer = undefined) {
  const dir = tempDir(prefix);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (defer) defer(remove);
  else t.after(remove);
  return dir;
}

// Cleanups that run last-registered-first (node:test runs t.after hooks in registration
// order), so a daemon stops before the fakes it talks to close and before its directories
// are removed. Returns defer(fn).
export function cleanups(t) {
  const stack = [];
  t.after(async () => {
    while (stack.length) await stack.pop()();
  });
  return (fn) => stack.push(fn);
}
