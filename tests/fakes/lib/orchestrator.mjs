// Fake orchestrator: the contract in docs/ORCHESTRATOR_API.md, validated against
// schemas/orchestrator.json. Ingestion jobs advance queued -> running ->
// succeeded one step per configured number of status polls (so a test controls
// time by polling), and documents of succeeded jobs answer /lightrag/query.

import { randomUUID } from 'node:crypto';
import { HttpError, compileTemplate, matchRoutes, sameSecret, bearerToken } from './http_util.mjs';
import { rankDocuments } from './embedding.mjs';

const kDefaultConfig = {
  polls_queued: 1, // GET /jobs/{id} answers "queued" this many times ...
  polls_running: 1, // ... then "running" this many times, then the final state
  fail_next: 0, // the next N accepted jobs end "failed"
  fail_code: 'ingest_failed',
  fail_message: 'the orchestrator could not index the documents (injected failure)',
  default_top_k: 5,
};

const kNoContextAnswer = "Sorry, I'm not able to provide an answer to that question.[no-context]";

const kErrorCodes = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'invalid_request',
  429: 'rate_limited',
  500: 'internal_error',
  501: 'not_implemented',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'timeout',
};

export function createOrchestrator({ schemas, apiKey = null, config = {}, checkResponses = true }) {
  const initialConfig = { ...kDefaultConfig, ...config };
  const state = { config: { ...initialConfig }, jobs: new Map(), idempotency: new Map(), index: [] };
  const now = () => new Date().toISOString();

  const errorBody = (status, message, extra = {}) => ({
    error: { code: extra.code ?? kErrorCodes[status] ?? `http_${status}`, message, ...(extra.details ? { details: extra.details } : {}) },
  });

  const jobView = (job) => {
    const view = {
      job_id: job.id,
      status: job.status,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      documents: {
        total: job.documents.length,
        processed: job.status === 'succeeded' ? job.documents.length : 0,
        failed: job.status === 'failed' ? job.documents.length : 0,
      },
    };
    if (job.error) view.error = job.error;
    return view;
  };

  const setStatus = (job, status, error = null) => {
    if (job.status === status) return;
    job.status = status;
    job.updatedAt = now();
    if (error) job.error = error;
    if (status === 'succeeded') state.index.push(...job.documents.map((d) => ({ text: d.text, metadata: d.metadata })));
  };

  const advance = (job) => {
    if (['succeeded', 'failed', 'cancelled'].includes(job.status) || job.forced) return;
    job.polls += 1;
    const { polls_queued: q, polls_running: r } = state.config;
    if (job.polls <= q) setStatus(job, 'queued');
    else if (job.polls <= q + r) setStatus(job, 'running');
    else if (job.willFail) setStatus(job, 'failed', { code: state.config.fail_code, message: state.config.fail_message });
    else setStatus(job, 'succeeded');
  };

  const check = (def) => (ctx) => {
    const problems = schemas.checkBody(ctx, def, { requireContentType: true });
    return problems.map((p) => ({ ...p, body: errorBody(p.status, p.message, { details: p.errors }) }));
  };
  const noBody = (ctx) =>
    ctx.bodyText.trim() === '' ? [] : [{ kind: 'unexpected_body', errors: [`${ctx.method} ${ctx.path} takes no body`], status: 400 }];
  const respond = (def) => (checkResponses ? (_status, body) => schemas.check(def, body) : null);

  const routes = [
    {
      id: 'ingest_async',
      method: 'POST',
      template: '/ingest-async',
      validate: check('IngestRequest'),
      checkResponse: respond('IngestAccepted'),
      handler: (ctx) => {
        const key = ctx.headers['idempotency-key'];
        if (key && state.idempotency.has(key)) {
          const job = state.jobs.get(state.idempotency.get(key));
          return { status: 202, body: accepted(job) };
        }
        const id = `job_${randomUUID().replaceAll('-', '')}`;
        const job = {
          id,
          status: 'queued',
          createdAt: now(),
          updatedAt: now(),
          documents: structuredClone(ctx.body.documents),
          polls: 0,
          willFail: false,
          forced: false,
          error: null,
        };
        if (state.config.fail_next > 0) {
          state.config.fail_next -= 1;
          job.willFail = true;
        }
        state.jobs.set(id, job);
        if (key) state.idempotency.set(key, id);
        return { status: 202, body: accepted(job), headers: { location: `/jobs/${id}` } };
      },
    },
    {
      id: 'get_job',
      method: 'GET',
      template: '/jobs/{job_id}',
      validate: noBody,
      checkResponse: respond('JobStatus'),
      handler: (ctx) => {
        const job = state.jobs.get(ctx.params.job_id);
        if (!job) {
          throw new HttpError(404, `job '${ctx.params.job_id}' not found`, {
            body: errorBody(404, `job '${ctx.params.job_id}' not found`, { code: 'job_not_found' }),
          });
        }
        advance(job);
        return { status: 200, body: jobView(job) };
      },
    },
    {
      id: 'lightrag_query',
      method: 'POST',
      template: '/lightrag/query',
      validate: check('LightragQueryRequest'),
      checkResponse: respond('LightragQueryResponse'),
      handler: (ctx) => ({ status: 200, body: answerQuery(ctx.body, state.index, state.config.default_top_k, { withTitle: true }) }),
    },
    {
      id: 'health',
      method: 'GET',
      template: '/health',
      validate: noBody,
      checkResponse: respond('Health'),
      handler: () => ({ status: 200, body: { status: 'ok' } }),
    },
  ].map((r) => ({ ...r, compiled: compileTemplate(r.template) }));

  return {
    name: 'orchestrator',
    routes,
    match: (method, path) => matchRoutes(routes, method, path),
    errorBody: (status, message) => errorBody(status, message),
    authenticate(ctx) {
      if (!apiKey || ctx.route.id === 'health') return null;
      const given = bearerToken(ctx.headers);
      if (!given || !sameSecret(given, apiKey)) {
        return { status: 401, message: 'missing or invalid bearer token', headers: { 'www-authenticate': 'Bearer' } };
      }
      return null;
    },
    resetState() {
      state.config = { ...initialConfig };
      state.jobs.clear();
      state.idempotency.clear();
      state.index = [];
    },
    control(method, path, body) {
      if (path === '/_control/config' && method === 'GET') return { body: state.config };
      if (path === '/_control/config' && (method === 'PATCH' || method === 'PUT')) {
        for (const [k, v] of Object.entries(body)) {
          if (!(k in kDefaultConfig)) throw new Error(`unknown orchestrator config key "${k}"`);
          if (typeof v !== typeof kDefaultConfig[k]) throw new Error(`config "${k}" must be a ${typeof kDefaultConfig[k]}`);
          state.config[k] = v;
        }
        return { body: state.config };
      }
      if (path === '/_control/jobs' && method === 'GET') {
        return { body: { jobs: [...state.jobs.values()].map((j) => ({ ...jobView(j), polls: j.polls, documents_sent: j.documents })) } };
      }
      const force = /^\/_control\/jobs\/([^/]+)$/.exec(path);
      if (force && method === 'POST') {
        const job = state.jobs.get(force[1]);
        if (!job) return { status: 404, body: { error: `no job ${force[1]}` } };
        if (!['queued', 'running', 'succeeded', 'failed', 'cancelled'].includes(body.status)) {
          throw new Error('status must be queued|running|succeeded|failed|cancelled');
        }
        job.forced = true;
        setStatus(job, body.status, body.status === 'failed' ? (body.error ?? { code: state.config.fail_code, message: state.config.fail_message }) : null);
        return { body: jobView(job) };
      }
      if (path === '/_control/documents' && method === 'POST') {
        const docs = body.documents ?? [];
        for (const d of docs) {
          if (typeof d.text !== 'string') throw new Error('each document needs "text"');
          state.index.push({ text: d.text, metadata: d.metadata ?? { source: 'seed', title: '' } });
        }
        return { body: { indexed: state.index.length } };
      }
      return null;
    },
  };
}

function accepted(job) {
  return { job_id: job.id, status: 'queued', documents: job.documents.length, track_url: `/jobs/${job.id}` };
}

function firstSentence(text) {
  const clean = text.replace(/\s+/g, ' ').trim();
  const m = /^(.{1,300}?[.!?])(\s|$)/.exec(clean);
  return m ? m[1] : clean.slice(0, 300);
}

// A deterministic "RAG" answer: the best-matching documents by embedding
// similarity, quoted with reference numbers. Shared with the LightRAG fake.
export function answerQuery(request, index, defaultTopK, { withTitle = false, sourceOf = (d) => d.metadata?.source ?? 'unknown_source' } = {}) {
  const mode = request.mode ?? 'mix';
  if (mode === 'bypass') {
    return { response: `Direct answer (bypass) to: ${request.query}`, references: [] };
  }
  const topK = request.top_k ?? defaultTopK;
  const hits = rankDocuments(request.query, index).slice(0, topK);
  if (hits.length === 0) return { response: kNoContextAnswer, references: [] };
  const references = hits.map(({ doc }, i) => {
    const ref = { reference_id: String(i + 1), file_path: sourceOf(doc) };
    if (withTitle && doc.metadata?.title) ref.title = doc.metadata.title;
    return ref;
  });
  let response;
  if (request.only_need_context) {
    response = hits.map(({ doc }, i) => `[${i + 1}] ${doc.text}`).join('\n\n');
  } else {
    const lines = hits.slice(0, 3).map(({ doc }, i) => `${firstSentence(doc.text)} [${i + 1}]`);
    response = `${lines.join(' ')}`;
  }
  return { response, references };
}
