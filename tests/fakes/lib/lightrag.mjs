// Fake LightRAG server: POST /query, POST /documents/texts,
// GET /documents/track_status/{track_id} and GET /health, validated against
// schemas/lightrag.json, with the `X-API-Key` check and FastAPI's error shapes
// ({detail: "..."} and 422 {detail: [{loc, msg, type}]}).
// Inserted documents move pending -> processing -> processed one step per
// configured number of track_status polls, and processed documents answer /query.

import { createHash, randomBytes } from 'node:crypto';
import { compileTemplate, matchRoutes, sameSecret } from './http_util.mjs';
import { answerQuery } from './orchestrator.mjs';

const kDefaultConfig = {
  polls_pending: 1,
  polls_processing: 1,
  fail_next: 0, // the next N inserted documents end "failed"
  fail_message: 'document processing failed (injected failure)',
  default_top_k: 5,
};

// Routes LightRAG leaves open without an API key.
const kPublicRoutes = new Set(['health']);

export function createLightrag({ schemas, apiKey = null, config = {}, checkResponses = true }) {
  const initialConfig = { ...kDefaultConfig, ...config };
  const state = { config: { ...initialConfig }, docs: new Map(), tracks: new Map(), index: [] };
  const now = () => new Date().toISOString();

  const validationBody = (ajvErrors = []) => ({
    detail: ajvErrors.map((e) => ({
      type: e.keyword ?? 'value_error',
      loc: ['body', ...String(e.instancePath ?? '').split('/').filter(Boolean)],
      msg: e.message ?? 'invalid',
    })),
  });

  const check = (def) => (ctx) =>
    schemas.checkBody(ctx, def, { requireContentType: true }).map((p) => ({
      ...p,
      status: 422,
      body: validationBody(
        p.ajvErrors ?? [{ keyword: p.kind, instancePath: '', message: typeof p.errors[0] === 'string' ? p.errors[0] : p.message }],
      ),
    }));
  const noBody = (ctx) =>
    ctx.bodyText.trim() === '' ? [] : [{ kind: 'unexpected_body', errors: [`${ctx.method} ${ctx.path} takes no body`], status: 400 }];
  const respond = (def) => (checkResponses ? (_status, body) => schemas.check(def, body) : null);

  const setStatus = (doc, status) => {
    if (doc.status === status) return;
    doc.status = status;
    doc.updated_at = now();
    if (status === 'processed') {
      doc.chunks_count = Math.max(1, Math.ceil(doc.text.length / 1200));
      state.index.push({ text: doc.text, metadata: { source: doc.file_path } });
    }
    if (status === 'failed') doc.error_msg = state.config.fail_message;
  };

  const advance = (doc) => {
    if (doc.status === 'processed' || doc.status === 'failed') return;
    doc.polls += 1;
    const { polls_pending: p, polls_processing: q } = state.config;
    if (doc.polls <= p) setStatus(doc, 'pending');
    else if (doc.polls <= p + q) setStatus(doc, 'processing');
    else setStatus(doc, doc.willFail ? 'failed' : 'processed');
  };

  const docView = (doc) => {
    const view = {
      id: doc.id,
      content_summary: doc.text.slice(0, 100),
      content_length: doc.text.length,
      status: doc.status,
      created_at: doc.created_at,
      updated_at: doc.updated_at,
      track_id: doc.track_id,
      chunks_count: doc.chunks_count ?? null,
      file_path: doc.file_path,
      metadata: {},
    };
    if (doc.error_msg) view.error_msg = doc.error_msg;
    return view;
  };

  const routes = [
    {
      id: 'query',
      method: 'POST',
      template: '/query',
      validate: check('QueryRequest'),
      checkResponse: respond('QueryResponse'),
      handler: (ctx) => {
        const answer = answerQuery(ctx.body, state.index, state.config.default_top_k);
        if (ctx.body.include_references === false) return { status: 200, body: { response: answer.response, references: null } };
        return { status: 200, body: answer };
      },
    },
    {
      id: 'insert_texts',
      method: 'POST',
      template: '/documents/texts',
      validate: check('InsertTextsRequest'),
      checkResponse: respond('InsertResponse'),
      handler: (ctx) => {
        const { texts, file_sources: sources = [] } = ctx.body;
        const trackId = `insert_${timestampTag()}_${randomBytes(4).toString('hex')}`;
        const ids = [];
        let duplicates = 0;
        texts.forEach((raw, i) => {
          const text = raw.trim();
          const id = `doc-${createHash('md5').update(text).digest('hex')}`;
          if (state.docs.has(id)) {
            duplicates += 1;
            return;
          }
          const willFail = state.config.fail_next > 0;
          if (willFail) state.config.fail_next -= 1;
          const doc = {
            id,
            text,
            file_path: sources[i]?.trim() || 'unknown_source',
            status: 'pending',
            created_at: now(),
            updated_at: now(),
            track_id: trackId,
            polls: 0,
            willFail,
          };
          state.docs.set(id, doc);
          ids.push(id);
        });
        state.tracks.set(trackId, ids);
        if (ids.length === 0) {
          return {
            status: 200,
            body: { status: 'duplicated', message: `All ${duplicates} texts already exist in the document store.`, track_id: trackId },
          };
        }
        return {
          status: 200,
          body: {
            status: duplicates > 0 ? 'partial_success' : 'success',
            message:
              duplicates > 0
                ? `${ids.length} texts accepted, ${duplicates} already existed. Processing will continue in background.`
                : 'Text successfully received. Processing will continue in background.',
            track_id: trackId,
          },
        };
      },
    },
    {
      id: 'track_status',
      method: 'GET',
      template: '/documents/track_status/{track_id}',
      validate: noBody,
      checkResponse: respond('TrackStatusResponse'),
      handler: (ctx) => {
        const trackId = ctx.params.track_id;
        const docs = (state.tracks.get(trackId) ?? []).map((id) => state.docs.get(id)).filter(Boolean);
        docs.forEach(advance);
        const summary = {};
        for (const d of docs) summary[d.status] = (summary[d.status] ?? 0) + 1;
        return {
          status: 200,
          body: { track_id: trackId, documents: docs.map(docView), total_count: docs.length, status_summary: summary },
        };
      },
    },
    {
      id: 'health',
      method: 'GET',
      template: '/health',
      validate: noBody,
      handler: () => ({ status: 200, body: { status: 'healthy', pipeline_busy: false, auth_mode: apiKey ? 'enabled' : 'disabled' } }),
    },
  ].map((r) => ({ ...r, compiled: compileTemplate(r.template) }));

  return {
    name: 'lightrag',
    routes,
    match: (method, path) => matchRoutes(routes, method, path),
    errorBody: (status, message) => ({ detail: status === 404 && /^no route/.test(message) ? 'Not Found' : message }),
    authenticate(ctx) {
      if (!apiKey || kPublicRoutes.has(ctx.route.id)) return null;
      const given = ctx.headers['x-api-key'];
      if (!given) return { status: 403, message: 'API Key required' };
      if (!sameSecret(given, apiKey)) return { status: 403, message: 'Invalid API Key' };
      return null;
    },
    resetState() {
      state.config = { ...initialConfig };
      state.docs.clear();
      state.tracks.clear();
      state.index = [];
    },
    control(method, path, body) {
      if (path === '/_control/config' && method === 'GET') return { body: state.config };
      if (path === '/_control/config' && (method === 'PATCH' || method === 'PUT')) {
        for (const [k, v] of Object.entries(body)) {
          if (!(k in kDefaultConfig)) throw new Error(`unknown lightrag config key "${k}"`);
          if (typeof v !== typeof kDefaultConfig[k]) throw new Error(`config "${k}" must be a ${typeof kDefaultConfig[k]}`);
          state.config[k] = v;
        }
        return { body: state.config };
      }
      if (path === '/_control/documents' && method === 'GET') {
        return { body: { documents: [...state.docs.values()].map(docView) } };
      }
      if (path === '/_control/documents' && method === 'POST') {
        for (const d of body.documents ?? []) {
          if (typeof d.text !== 'string') throw new Error('each document needs "text"');
          state.index.push({ text: d.text, metadata: { source: d.file_path ?? 'seed' } });
        }
        return { body: { indexed: state.index.length } };
      }
      return null;
    },
  };
}

function timestampTag() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

