// Fake Ollama: the native API of the pinned openapi.yaml (validated against it)
// plus the OpenAI-compatible `/v1/embeddings` (validated against
// schemas/openai_embeddings.json, since Ollama's document does not cover /v1).
// Embeddings come from embedding.mjs, so they are deterministic and rank by
// shared words.

import { createHash } from 'node:crypto';
import { HttpError, compileTemplate, matchRoutes, sameSecret, bearerToken, textResponse } from './http_util.mjs';
import { embed, countTokens, truncateTokens } from './embedding.mjs';

export const kDefaultOllamaModels = {
  'all-minilm': { dims: 384, context: 512 },
  'nomic-embed-text': { dims: 768, context: 2048 },
  embeddinggemma: { dims: 768, context: 2048 },
};

const kServerVersion = '0.12.6';

// "name" and "name:latest" are the same model, as in Ollama.
export function canonicalModelName(name) {
  const s = String(name);
  return s.includes(':') ? s : `${s}:latest`;
}

export function createOllama({ spec, openai, models = kDefaultOllamaModels, apiKey = null, checkResponses = true }) {
  const state = { models: new Map() };
  const setModels = (m) => {
    state.models.clear();
    for (const [name, cfg] of Object.entries(m)) {
      const dims = cfg.dims ?? 384;
      const context = cfg.context ?? 2048;
      if (!Number.isInteger(dims) || dims < 1 || !Number.isInteger(context) || context < 1) {
        throw new Error(`model ${name}: dims and context must be positive integers`);
      }
      state.models.set(canonicalModelName(name), { dims, context });
    }
  };
  setModels(models);
  const initialModels = models;

  const isOpenAiPath = (p) => p.startsWith('/v1/');
  const openAiError = (status, message) => ({
    error: {
      message,
      type: status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error',
      param: null,
      code: null,
    },
  });

  const findModel = (name, ctx) => {
    const model = state.models.get(canonicalModelName(name));
    if (!model) {
      const message = `model "${name}" not found, try pulling it first`;
      throw new HttpError(404, message, isOpenAiPath(ctx.path) ? { body: openAiError(404, message) } : {});
    }
    return model;
  };

  const service = {
    name: 'ollama',
    match: null,
    errorBody(status, message, ctx) {
      return ctx?.path && isOpenAiPath(ctx.path) ? openAiError(status, message) : { error: message };
    },
    authenticate(ctx) {
      if (!apiKey || ctx.path === '/') return null;
      const given = bearerToken(ctx.headers);
      if (!given || !sameSecret(given, apiKey)) return { status: 401, message: 'unauthorized' };
      return null;
    },
    resetState() {
      setModels(initialModels);
    },
    control(method, path, body) {
      if (path === '/_control/models' && method === 'GET') {
        return { body: { models: Object.fromEntries(state.models) } };
      }
      if (path === '/_control/models' && method === 'PUT') {
        setModels(body.models ?? body);
        return { body: { models: Object.fromEntries(state.models) } };
      }
      return null;
    },
  };

  const nanos = (ctx) => Number(process.hrtime.bigint() - ctx.started);

  const handlers = {
    embed: (ctx) => {
      const body = ctx.body;
      const model = findModel(body.model, ctx);
      const dims = body.dimensions ?? model.dims;
      if (dims < 1 || dims > model.dims) {
        throw new HttpError(400, `dimensions must be between 1 and ${model.dims} for model "${body.model}"`);
      }
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      const truncate = body.truncate ?? true;
      let tokens = 0;
      const embeddings = inputs.map((text) => {
        let t = text;
        const n = countTokens(t);
        if (n > model.context) {
          if (!truncate) throw new HttpError(400, 'the input length exceeds the context length');
          t = truncateTokens(t, model.context);
        }
        tokens += Math.min(n, model.context);
        return embed(t, { dims, model: canonicalModelName(body.model) });
      });
      return {
        status: 200,
        body: {
          model: body.model,
          embeddings,
          total_duration: nanos(ctx),
          load_duration: 0,
          prompt_eval_count: tokens,
        },
      };
    },

    list: () => ({
      status: 200,
      body: {
        models: [...state.models].map(([name, m]) => ({
          name,
          model: name,
          modified_at: '2025-01-01T00:00:00Z',
          size: m.dims * 1024 * 64,
          digest: digestOf(name),
          details: {
            format: 'gguf',
            family: 'bert',
            families: ['bert'],
            parameter_size: `${Math.round(m.dims / 12)}M`,
            quantization_level: 'F16',
          },
        })),
      },
    }),

    ps: () => ({ status: 200, body: { models: [] } }),

    version: () => ({ status: 200, body: { version: kServerVersion } }),
  };

  const openAiEmbeddings = (ctx) => {
    const body = ctx.body;
    const model = findModel(body.model, ctx);
    const dims = body.dimensions ?? model.dims;
    if (dims > model.dims) {
      throw new HttpError(400, `dimensions must be at most ${model.dims}`, {
        body: openAiError(400, `dimensions must be at most ${model.dims} for model "${body.model}"`),
      });
    }
    let inputs;
    if (typeof body.input === 'string') inputs = [body.input];
    else if (body.input.every((x) => typeof x === 'string')) inputs = body.input;
    else if (body.input.every((x) => Number.isInteger(x))) inputs = [body.input.map((t) => `t${t}`).join(' ')];
    else inputs = body.input.map((ids) => ids.map((t) => `t${t}`).join(' '));
    let tokens = 0;
    const data = inputs.map((text, index) => {
      const n = countTokens(text);
      if (n > model.context) {
        const message = `This model's maximum context length is ${model.context} tokens, however you requested ${n} tokens. Please reduce your input.`;
        throw new HttpError(400, message, { body: openAiError(400, message) });
      }
      tokens += n;
      const vector = embed(text, { dims, model: canonicalModelName(body.model) });
      return {
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    });
    return {
      status: 200,
      body: { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
    };
  };

  const unimplemented = (operationId) => (ctx) => {
    ctx.fake.violations.record({
      kind: 'unimplemented',
      method: ctx.method,
      path: ctx.path,
      route: ctx.route.template,
      errors: [`the fake Ollama does not implement ${operationId}`],
      body: ctx.bodyText,
    });
    throw new HttpError(501, `fake Ollama does not implement ${operationId}`);
  };

  // Ollama answers malformed requests with 400 {error}, not 422.
  const as400 = (validate) => (ctx) => validate(ctx).map((p) => ({ ...p, status: 400 }));

  const routes = spec.operations().map((operation) => ({
    id: operation.operationId,
    method: operation.method,
    template: operation.template,
    compiled: compileTemplate(operation.template),
    validate: as400(spec.requestValidator(operation, { requireContentType: false })),
    checkResponse: checkResponses ? spec.responseChecker(operation) : null,
    handler: handlers[operation.operationId] ?? unimplemented(operation.operationId),
  }));

  const extra = [
    {
      id: 'root',
      method: 'GET',
      template: '/',
      handler: () => textResponse(200, 'Ollama is running'),
    },
    {
      id: 'openai_embeddings',
      method: 'POST',
      template: '/v1/embeddings',
      validate: (ctx) => openai.checkBody(ctx, 'CreateEmbeddingRequest', { requireContentType: false }).map((p) => ({ ...p, status: 400 })),
      checkResponse: checkResponses ? (_status, body) => openai.check('CreateEmbeddingResponse', body) : null,
      handler: openAiEmbeddings,
    },
    {
      id: 'openai_models',
      method: 'GET',
      template: '/v1/models',
      handler: () => ({
        status: 200,
        body: {
          object: 'list',
          data: [...state.models.keys()].map((id) => ({ id, object: 'model', created: 1735689600, owned_by: 'library' })),
        },
      }),
    },
  ].map((r) => ({ ...r, compiled: compileTemplate(r.template), validate: r.validate ?? noBody }));

  const all = [...routes, ...extra];
  service.routes = all;
  service.match = (method, path) => matchRoutes(all, method, path);
  return service;
}

function noBody(ctx) {
  if (ctx.bodyText.trim() === '') return [];
  return [{ kind: 'unexpected_body', errors: [`${ctx.method} ${ctx.path} takes no request body`], status: 400 }];
}

function digestOf(name) {
  return createHash('sha256').update(name).digest('hex');
}
