// Self-test of the fake backends: starts fake_backends.mjs as a child process
// (exactly as integration tests will) and checks documented shapes, strict
// validation, ranking, every fault kind, API keys and job progression.
//
//   tests/node/node_modules/.bin/node --test tests/fakes/fake_backends.test.mjs

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { OpenApiSpec, SchemaFile, defaultSpecsDir } from './lib/spec_validator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const program = path.join(here, 'fake_backends.mjs');
const kKey = 's3cret-key';

function startFakes(args) {
  const child = spawn(process.execPath, [program, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, urls: JSON.parse(out.slice(0, nl)), stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`fakes exited early (${code}): ${stderr}`)));
  });
}

// One request on a fresh connection; resolves {status, headers, text, json}
// or rejects with the socket error (used to observe resets and hangs).
function request(base, method, urlPath, { body, headers = {}, timeoutMs = 5000, raw } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(urlPath, base);
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

let fakes;
let keyed;
let U;
const qdrantSpec = new OpenApiSpec(path.join(defaultSpecsDir(), 'qdrant', 'openapi.json'));
const ollamaSpec = new OpenApiSpec(path.join(defaultSpecsDir(), 'ollama', 'openapi.yaml'));
const orchestratorSchemas = new SchemaFile(path.join(here, 'schemas', 'orchestrator.json'));
const openaiSchemas = new SchemaFile(path.join(here, 'schemas', 'openai_embeddings.json'));

// Independent check of an answer against the spec, on top of the fake's own.
function assertQdrantShape(operationId, res) {
  const op = qdrantSpec.operations().find((o) => o.operationId === operationId);
  assert.deepEqual(qdrantSpec.responseChecker(op)(res.status, res.json), [], `${operationId} answer matches the spec`);
}

async function violations(base) {
  const res = await request(base, 'GET', '/_control/violations?all=1');
  return res.json.violations;
}

async function control(base, method, p, body) {
  const res = await request(base, method, p, { body });
  assert.ok(res.status < 300, `control ${method} ${p} -> ${res.status} ${res.text}`);
  return res.json;
}

async function embedTexts(texts, model = 'all-minilm') {
  const res = await request(U.ollama, 'POST', '/api/embed', { body: { model, input: texts } });
  assert.equal(res.status, 200, res.text);
  return res.json.embeddings;
}

before(async () => {
  fakes = await startFakes(['--qdrant', '0', '--ollama', '0', '--orchestrator', '0', '--lightrag', '0']);
  U = fakes.urls;
  keyed = await startFakes(['--qdrant', '0', '--lightrag', '0', '--api-key-qdrant', kKey, '--api-key-lightrag', kKey]);
});

after(async () => {
  for (const f of [fakes, keyed]) {
    if (f && f.child.exitCode === null) {
      const exited = once(f.child, 'exit');
      f.child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, 'exits cleanly on SIGTERM');
    }
  }
});

// Unless a test takes its violations away itself, it must leave none behind.
afterEach(async () => {
  const left = await violations(U.qdrant);
  await control(U.qdrant, 'POST', '/_control/reset?all=1', {});
  await control(keyed.urls.qdrant, 'POST', '/_control/reset?all=1', {});
  assert.deepEqual(left, [], 'no unexpected contract violations');
});

test('prints one JSON line with a 127.0.0.1 URL per requested fake', () => {
  assert.deepEqual(Object.keys(U).sort(), ['lightrag', 'ollama', 'orchestrator', 'qdrant']);
  for (const url of Object.values(U)) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(Object.keys(keyed.urls).sort(), ['lightrag', 'qdrant']);
});

test('qdrant: collection lifecycle answers in the documented shapes', async () => {
  let res = await request(U.qdrant, 'GET', '/collections/docs/exists');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.result, { exists: false });
  assertQdrantShape('collection_exists', res);

  res = await request(U.qdrant, 'GET', '/collections/docs');
  assert.equal(res.status, 404);
  assert.match(res.json.status.error, /Collection `docs` doesn't exist/);
  assert.equal(typeof res.json.time, 'number');
  assertQdrantShape('get_collection', res);

  res = await request(U.qdrant, 'PUT', '/collections/docs', { body: { vectors: { size: 384, distance: 'Cosine' } } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.result, true);
  assert.equal(res.json.status, 'ok');

  res = await request(U.qdrant, 'PUT', '/collections/docs', { body: { vectors: { size: 384, distance: 'Cosine' } } });
  assert.equal(res.status, 409);
  assert.match(res.json.status.error, /already exists/);

  res = await request(U.qdrant, 'GET', '/collections/docs');
  assert.equal(res.status, 200);
  assertQdrantShape('get_collection', res);
  assert.deepEqual(res.json.result.config.params.vectors, { size: 384, distance: 'Cosine' });
  assert.equal(res.json.result.points_count, 0);

  res = await request(U.qdrant, 'PUT', '/collections/named', {
    body: { vectors: { dense: { size: 4, distance: 'Dot' } } },
  });
  assert.equal(res.status, 200);
  res = await request(U.qdrant, 'GET', '/collections/named');
  assert.deepEqual(res.json.result.config.params.vectors, { dense: { size: 4, distance: 'Dot' } });

  res = await request(U.qdrant, 'GET', '/collections');
  assert.deepEqual(res.json.result.collections.map((c) => c.name).sort(), ['docs', 'named']);

  res = await request(U.qdrant, 'DELETE', '/collections/named');
  assert.equal(res.json.result, true);
  res = await request(U.qdrant, 'GET', '/collections/named/exists');
  assert.equal(res.json.result.exists, false);

  res = await request(U.qdrant, 'GET', '/healthz');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'healthz check passed');
  res = await request(U.qdrant, 'GET', '/');
  assert.equal(res.json.title, 'qdrant - vector search engine');
});

const kDocs = [
  {
    id: '6f1c2b1e-5d1a-5f3e-9a43-0d7c8e9f1a21',
    text: 'A circuit breaker opens after five consecutive failures and stops calls to the failing backend.',
    metadata: { lang: 'en', topic: 'resilience', year: 2024 },
  },
  {
    id: '7a2d3c4f-6e2b-5a4f-8b54-1e8d9f0a2b32',
    text: 'Cook the pasta in salted boiling water, then toss it with tomato sauce and basil.',
    metadata: { lang: 'en', topic: 'cooking', year: 2019 },
  },
  {
    id: 12,
    text: 'Der Leistungsschalter trennt den Stromkreis bei Überlast.',
    metadata: { lang: 'de', topic: 'electrical', year: 2021 },
  },
];

async function seedDocs() {
  await request(U.qdrant, 'PUT', '/collections/kb', { body: { vectors: { size: 384, distance: 'Cosine' } } });
  const vectors = await embedTexts(kDocs.map((d) => d.text));
  const res = await request(U.qdrant, 'PUT', '/collections/kb/points?wait=true', {
    body: {
      points: kDocs.map((d, i) => ({ id: d.id, vector: vectors[i], payload: { document: d.text, metadata: d.metadata } })),
    },
  });
  assert.equal(res.status, 200, res.text);
  assertQdrantShape('upsert_points', res);
  assert.equal(res.json.result.status, 'completed');
  assert.equal(typeof res.json.result.operation_id, 'number');
}

async function find(body) {
  const res = await request(U.qdrant, 'POST', '/collections/kb/points/query', { body });
  assert.equal(res.status, 200, res.text);
  assertQdrantShape('query_points', res);
  return res.json.result.points;
}

test('qdrant + ollama: embedding ranking puts the circuit-breaker text above the pasta text', async () => {
  await seedDocs();
  const [q] = await embedTexts(['circuit breaker']);
  const points = await find({ query: q, limit: 3, with_payload: true });
  assert.equal(points[0].id, kDocs[0].id, 'circuit breaker doc ranks first');
  assert.equal(points[0].payload.document, kDocs[0].text);
  assert.deepEqual(points[0].payload.metadata, kDocs[0].metadata);
  assert.ok(points[0].score > 0.3, `relevant score is high (${points[0].score})`);
  const pasta = points.find((p) => p.id === kDocs[1].id);
  assert.ok(points[0].score > pasta.score + 0.2, `pasta scores clearly lower (${pasta.score})`);
  for (let i = 1; i < points.length; i += 1) assert.ok(points[i - 1].score >= points[i].score, 'sorted by score');

  // A pasta question flips the order: the ranking follows the words, not the insertion order.
  const [q2] = await embedTexts(['how long to boil pasta with tomato sauce']);
  const flipped = await find({ query: q2, limit: 1 });
  assert.equal(flipped[0].id, kDocs[1].id);
  assert.equal(flipped[0].payload, undefined, 'with_payload defaults to false on /points/query');
});

test('qdrant: filters, score_threshold, offset and nearest queries are applied', async () => {
  await seedDocs();
  const [q] = await embedTexts(['circuit breaker']);
  const ids = (points) => points.map((p) => p.id);

  let points = await find({ query: q, filter: { must: [{ key: 'metadata.lang', match: { value: 'de' } }] } });
  assert.deepEqual(ids(points), [12]);

  points = await find({ query: q, filter: { must_not: [{ key: 'metadata.topic', match: { any: ['resilience', 'electrical'] } }] } });
  assert.deepEqual(ids(points), [kDocs[1].id]);

  points = await find({ query: q, filter: { must: { key: 'metadata.year', range: { gte: 2020, lt: 2024 } } } });
  assert.deepEqual(ids(points), [12]);

  points = await find({
    query: q,
    filter: { should: [{ key: 'metadata.year', range: { gt: 2023 } }, { key: 'metadata.topic', match: { value: 'cooking' } }] },
  });
  assert.deepEqual(ids(points).sort(), [kDocs[0].id, kDocs[1].id].sort());

  const all = await find({ query: q, limit: 10 });
  assert.equal(all.length, 3);
  const threshold = (all[0].score + all[1].score) / 2;
  points = await find({ query: q, score_threshold: threshold });
  assert.deepEqual(ids(points), [all[0].id]);

  points = await find({ query: q, limit: 1, offset: 1 });
  assert.deepEqual(ids(points), [all[1].id]);

  points = await find({ query: { nearest: q }, limit: 1, with_payload: { include: ['metadata'] } });
  assert.deepEqual(points[0].payload, { metadata: kDocs[0].metadata });

  const res = await request(U.qdrant, 'POST', '/collections/kb/points/query', { body: { query: [0.1, 0.2] } });
  assert.equal(res.status, 400);
  assert.match(res.json.status.error, /expected dim: 384, got 2/);

  const count = await request(U.qdrant, 'POST', '/collections/kb/points/count', {
    body: { filter: { must: [{ key: 'metadata.lang', match: { value: 'en' } }] } },
  });
  assert.equal(count.json.result.count, 2);
});

test('qdrant: named vectors and Euclid distance (lower is better)', async () => {
  let res = await request(U.qdrant, 'PUT', '/collections/geo', { body: { vectors: { pos: { size: 2, distance: 'Euclid' } } } });
  assert.equal(res.status, 200);
  res = await request(U.qdrant, 'PUT', '/collections/geo/points?wait=true', {
    body: {
      points: [
        { id: 1, vector: { pos: [0, 0] }, payload: { n: 'origin' } },
        { id: 2, vector: { pos: [3, 4] }, payload: { n: 'far' } },
        { id: 3, vector: { pos: [1, 0] }, payload: { n: 'near' } },
      ],
    },
  });
  assert.equal(res.status, 200, res.text);
  res = await request(U.qdrant, 'POST', '/collections/geo/points/query', { body: { query: [0.9, 0], using: 'pos', with_payload: true } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.result.points.map((p) => p.payload.n), ['near', 'origin', 'far']);
  assert.ok(Math.abs(res.json.result.points[0].score - 0.1) < 1e-6);

  res = await request(U.qdrant, 'POST', '/collections/geo/points/query', { body: { query: [0.9, 0] } });
  assert.equal(res.status, 400, 'a named-vector collection needs `using`');
  assert.match(res.json.status.error, /Not existing vector name/);
});

test('qdrant: a spec-invalid upsert is rejected with 422 and recorded as a violation', async () => {
  await request(U.qdrant, 'PUT', '/collections/bad', { body: { vectors: { size: 3, distance: 'Cosine' } } });
  const res = await request(U.qdrant, 'PUT', '/collections/bad/points?wait=true', {
    body: { points: [{ id: 1, vector: '0.1,0.2,0.3', payload: {} }] },
  });
  assert.equal(res.status, 422);
  assert.equal(typeof res.json.status.error, 'string');
  assert.match(res.json.status.error, /Validation error in JSON body/);
  assert.equal(typeof res.json.time, 'number');

  let v = await violations(U.qdrant);
  assert.equal(v.length, 1);
  assert.equal(v[0].kind, 'invalid_body');
  assert.equal(v[0].fake, 'qdrant');
  assert.equal(v[0].method, 'PUT');
  assert.equal(v[0].path, '/collections/bad/points');
  assert.equal(v[0].route, '/collections/{collection_name}/points');
  assert.match(v[0].body_excerpt, /0\.1,0\.2,0\.3/);

  // Nothing was stored.
  const count = await request(U.qdrant, 'POST', '/collections/bad/points/count', { body: {} });
  assert.equal(count.json.result.count, 0);

  // Other contract breaks are recorded too: a non-UUID string id, a misspelt
  // field, a bad query parameter, an unknown route, a wrong method.
  await control(U.qdrant, 'DELETE', '/_control/violations');
  const cases = [
    ['PUT', '/collections/bad/points', { points: [{ id: 'not-a-uuid', vector: [1, 2, 3] }] }, 422, 'invalid_body'],
    ['POST', '/collections/bad/points/query', { query: [1, 2, 3], score_treshold: 0.5 }, 422, 'invalid_body'],
    ['PUT', '/collections/bad/points?wait=yes', { points: [{ id: 2, vector: [1, 2, 3] }] }, 422, 'invalid_query'],
    ['POST', '/collections/bad/search', { vector: [1, 2, 3], limit: 3 }, 404, 'unknown_route'],
    ['POST', '/collections/bad/points/search', { vector: [1, 2, 3], limit: 3 }, 405, 'method_not_allowed'],
    ['DELETE', '/collections/bad/points/query', undefined, 405, 'method_not_allowed'],
  ];
  for (const [method, p, body, status, kind] of cases) {
    const r = await request(U.qdrant, method, p, { body });
    assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
    assert.equal(typeof r.json.status.error, 'string');
    v = await violations(U.qdrant);
    assert.equal(v.at(-1).kind, kind, `${method} ${p}`);
  }
  assert.equal((await violations(U.qdrant)).length, cases.length);

  const raw = await request(U.qdrant, 'PUT', '/collections/bad/points', { raw: '{"points": [', headers: { 'content-type': 'application/json' } });
  assert.equal(raw.status, 400);
  assert.match(raw.json.status.error, /Format error in JSON body/);
  v = await violations(U.qdrant);
  assert.equal(v.at(-1).kind, 'invalid_json');
  await control(U.qdrant, 'DELETE', '/_control/violations');
});

test('ollama: /api/embed is deterministic, normalised, and honours dimensions and truncate', async () => {
  let res = await request(U.ollama, 'POST', '/api/embed', {
    body: { model: 'all-minilm', input: ['circuit breaker', 'circuit breaker', 'pasta'], truncate: true, keep_alive: '5m' },
  });
  assert.equal(res.status, 200, res.text);
  const embedOp = ollamaSpec.operations().find((o) => o.operationId === 'embed');
  assert.deepEqual(ollamaSpec.responseChecker(embedOp)(200, res.json), []);
  assert.equal(res.json.model, 'all-minilm');
  const [a, b, c] = res.json.embeddings;
  assert.equal(a.length, 384);
  assert.deepEqual(a, b, 'same text, same vector');
  assert.notDeepEqual(a, c);
  const norm = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-5, `unit length (${norm})`);
  assert.ok(res.json.prompt_eval_count >= 5);

  res = await request(U.ollama, 'POST', '/api/embed', { body: { model: 'nomic-embed-text', input: 'hello', dimensions: 128 } });
  assert.equal(res.status, 200);
  assert.equal(res.json.embeddings[0].length, 128);

  res = await request(U.ollama, 'POST', '/api/embed', { body: { model: 'no-such-model', input: 'x' } });
  assert.equal(res.status, 404);
  assert.deepEqual(res.json, { error: 'model "no-such-model" not found, try pulling it first' });

  const long = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
  res = await request(U.ollama, 'POST', '/api/embed', { body: { model: 'all-minilm', input: long, truncate: false } });
  assert.equal(res.status, 400);
  assert.deepEqual(res.json, { error: 'the input length exceeds the context length' });
  res = await request(U.ollama, 'POST', '/api/embed', { body: { model: 'all-minilm', input: long } });
  assert.equal(res.status, 200, 'truncate defaults to true');
  assert.equal(res.json.prompt_eval_count, 512);

  res = await request(U.ollama, 'GET', '/api/tags');
  assert.equal(res.status, 200);
  const tagsOp = ollamaSpec.operations().find((o) => o.operationId === 'list');
  assert.deepEqual(ollamaSpec.responseChecker(tagsOp)(200, res.json), []);
  assert.ok(res.json.models.some((m) => m.name === 'all-minilm:latest'));
});

test('ollama: a spec-invalid embed request is a 400 {error} and a violation', async () => {
  const res = await request(U.ollama, 'POST', '/api/embed', { body: { model: 'all-minilm', input: [1, 2] } });
  assert.equal(res.status, 400);
  assert.equal(typeof res.json.error, 'string');
  const v = await violations(U.ollama);
  assert.equal(v.length, 1);
  assert.equal(v[0].fake, 'ollama');
  assert.equal(v[0].kind, 'invalid_body');
  await control(U.ollama, 'DELETE', '/_control/violations');
});

test('ollama: OpenAI-compatible /v1/embeddings answers in OpenAI shape', async () => {
  let res = await request(U.ollama, 'POST', '/v1/embeddings', {
    body: { model: 'all-minilm', input: ['circuit breaker', 'pasta'], encoding_format: 'float' },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(openaiSchemas.check('CreateEmbeddingResponse', res.json), []);
  assert.equal(res.json.object, 'list');
  assert.deepEqual(res.json.data.map((d) => [d.object, d.index, d.embedding.length]), [
    ['embedding', 0, 384],
    ['embedding', 1, 384],
  ]);
  assert.deepEqual(res.json.usage, { prompt_tokens: 3, total_tokens: 3 });
  const [native] = await embedTexts(['circuit breaker']);
  assert.deepEqual(res.json.data[0].embedding, native, 'same model, same vector on both APIs');

  res = await request(U.ollama, 'POST', '/v1/embeddings', { body: { model: 'all-minilm', input: 'pasta', encoding_format: 'base64' } });
  const decoded = new Float32Array(new Uint8Array(Buffer.from(res.json.data[0].embedding, 'base64')).buffer);
  assert.equal(decoded.length, 384);

  res = await request(U.ollama, 'POST', '/v1/embeddings', { body: { model: 'ghost', input: 'x' } });
  assert.equal(res.status, 404);
  assert.deepEqual(openaiSchemas.check('ErrorResponse', res.json), []);
  assert.equal(res.json.error.message, 'model "ghost" not found, try pulling it first');
  assert.equal(res.json.error.type, 'not_found_error');
});

test('fault: latency delays the answer but keeps it correct', async () => {
  await control(U.qdrant, 'POST', '/_control/faults', { route: 'GET /collections/*/exists', latency_ms: 300 });
  const t0 = performance.now();
  const res = await request(U.qdrant, 'GET', '/collections/x/exists');
  const ms = performance.now() - t0;
  assert.equal(res.status, 200);
  assert.deepEqual(res.json.result, { exists: false });
  assert.ok(ms >= 290, `took ${ms} ms`);
  const t1 = performance.now();
  await request(U.qdrant, 'GET', '/collections');
  assert.ok(performance.now() - t1 < 250, 'other routes are not slowed');
});

test('fault: status answers with the backend documented error body', async () => {
  await control(U.qdrant, 'POST', '/_control/faults', { route: 'POST /collections/*/points/query', status: 503, headers: { 'retry-after': '7' } });
  let res = await request(U.qdrant, 'POST', '/collections/kb/points/query', { body: { query: [1, 2, 3] } });
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '7');
  assert.match(res.json.status.error, /injected fault/);
  assert.equal(typeof res.json.time, 'number');

  await control(U.ollama, 'POST', '/_control/faults', { route: 'POST /api/embed', status: 500, message: 'llama runner crashed' });
  res = await request(U.ollama, 'POST', '/api/embed', { body: { model: 'all-minilm', input: 'x' } });
  assert.deepEqual([res.status, res.json], [500, { error: 'llama runner crashed' }]);

  await control(U.orchestrator, 'POST', '/_control/faults', { route: 'POST /ingest-async', status: 429 });
  res = await request(U.orchestrator, 'POST', '/ingest-async', { body: { documents: [] } });
  assert.equal(res.status, 429);
  assert.equal(res.json.error.code, 'rate_limited');
  // The body was still validated: an empty documents list breaks the contract.
  const v = await violations(U.orchestrator);
  assert.deepEqual(v.map((x) => [x.fake, x.kind]), [['orchestrator', 'invalid_body']]);
  await control(U.orchestrator, 'DELETE', '/_control/violations');
});

test('fault: reset destroys the connection without an answer', async () => {
  await control(U.lightrag, 'POST', '/_control/faults', { route: 'POST /query', reset: true });
  await assert.rejects(
    request(U.lightrag, 'POST', '/query', { body: { query: 'what is a circuit breaker' } }),
    (err) => err.code === 'ECONNRESET',
  );
  const counts = await control(U.lightrag, 'GET', '/_control/requests');
  assert.equal(counts.by_route['POST /query'], 1);
  assert.equal(counts.log.at(-1).outcome, 'fault_reset');
});

test('fault: hang never answers (client times out) until the fault is cleared', async () => {
  await control(U.orchestrator, 'POST', '/_control/faults', { route: 'GET /jobs/*', hang: true });
  const t0 = performance.now();
  await assert.rejects(request(U.orchestrator, 'GET', '/jobs/abc', { timeoutMs: 300 }), (err) => err.code === 'CLIENT_TIMEOUT');
  assert.ok(performance.now() - t0 >= 290);
  // A hung request that the client keeps waiting on ends when the fault is cleared.
  const pending = request(U.orchestrator, 'GET', '/jobs/abc', { timeoutMs: 5000 }).then(
    (res) => res,
    (err) => err,
  );
  await new Promise((r) => setTimeout(r, 100));
  const cleared = await control(U.orchestrator, 'DELETE', '/_control/faults');
  assert.equal(cleared.released_hung, 1);
  const outcome = await pending;
  assert.ok(outcome instanceof Error, 'the held request gets no answer');
  assert.equal(outcome.code, 'ECONNRESET');
  let res = await request(U.orchestrator, 'GET', '/jobs/abc');
  assert.equal(res.status, 404, 'served normally again');
  assert.equal(res.json.error.code, 'job_not_found');

  // Deleting one hang fault by id releases only the requests it holds.
  const fault = await control(U.orchestrator, 'POST', '/_control/faults', { route: 'GET /health', hang: true });
  const held = request(U.orchestrator, 'GET', '/health', { timeoutMs: 5000 }).then(
    (r) => r,
    (err) => err,
  );
  await new Promise((r) => setTimeout(r, 100));
  const removed = await control(U.orchestrator, 'DELETE', `/_control/faults/${fault.id}`);
  assert.deepEqual(removed, { removed: fault.id, released_hung: 1 });
  assert.equal((await held).code, 'ECONNRESET');
  res = await request(U.orchestrator, 'GET', '/health');
  assert.deepEqual(res.json, { status: 'ok' });
});

test('fault: flap fails N then passes M, repeating; times limits a fault', async () => {
  await control(U.qdrant, 'POST', '/_control/faults', { route: 'GET /collections', flap: { fail: 2, ok: 1, status: 502 } });
  const statuses = [];
  for (let i = 0; i < 6; i += 1) statuses.push((await request(U.qdrant, 'GET', '/collections')).status);
  assert.deepEqual(statuses, [502, 502, 200, 502, 502, 200]);
  await control(U.qdrant, 'DELETE', '/_control/faults');

  await control(U.qdrant, 'POST', '/_control/faults', { route: 'GET /collections', flap: { fail: 1, ok: 1, reset: true } });
  await assert.rejects(request(U.qdrant, 'GET', '/collections'), (err) => err.code === 'ECONNRESET');
  assert.equal((await request(U.qdrant, 'GET', '/collections')).status, 200);
  await control(U.qdrant, 'DELETE', '/_control/faults');

  const added = await control(U.qdrant, 'POST', '/_control/faults', { route: '* /collections/**', status: 500, times: 2 });
  assert.equal(added.times_left, 2);
  assert.equal((await request(U.qdrant, 'GET', '/collections/a/exists')).status, 500);
  assert.equal((await request(U.qdrant, 'GET', '/collections/b/exists')).status, 500);
  assert.equal((await request(U.qdrant, 'GET', '/collections/c/exists')).status, 200);
  assert.deepEqual((await control(U.qdrant, 'GET', '/_control/faults')).faults, []);

  const n = await control(U.qdrant, 'GET', `/_control/requests?match=${encodeURIComponent('GET /collections/*/exists')}`);
  assert.equal(n.count, 3);
  const snap = await control(U.qdrant, 'GET', '/_control/requests');
  assert.equal(snap.by_route['GET /collections'], 8);
  assert.equal(snap.by_route['GET /collections/{collection_name}/exists'], 3);

  const bad = await request(U.qdrant, 'POST', '/_control/faults', { body: { route: 'GET /x', status: 500, reset: true } });
  assert.equal(bad.status, 400, 'conflicting fault kinds are refused');
});

test('down: the port refuses connections until it comes back (by timer or by control)', async () => {
  const t0 = performance.now();
  const res = await request(U.qdrant, 'POST', '/_control/down', { body: { for_ms: 500 } });
  assert.equal(res.status, 200);
  assert.equal(res.json.url, U.qdrant);
  // The answer arrives after the listener is closed: refused straight away.
  await assert.rejects(request(U.qdrant, 'GET', '/collections'), (err) => err.code === 'ECONNREFUSED');
  let back = null;
  while (back === null && performance.now() - t0 < 5000) {
    back = await request(U.qdrant, 'GET', '/collections').catch(() => null);
    if (back === null) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(back?.status, 200, 'back by itself');
  assert.ok(performance.now() - t0 >= 480, 'not before for_ms');

  // Another fake's control port can take a fake down and bring it back.
  await control(U.ollama, 'POST', '/_control/down', { fake: 'lightrag' });
  await assert.rejects(request(U.lightrag, 'GET', '/health'), (err) => err.code === 'ECONNREFUSED');
  await control(U.ollama, 'POST', '/_control/up', { fake: 'lightrag' });
  assert.equal((await request(U.lightrag, 'GET', '/health')).status, 200);
});

test('api keys: qdrant api-key header (or bearer) and LightRAG X-API-Key', async () => {
  const q = keyed.urls.qdrant;
  let res = await request(q, 'GET', '/collections');
  assert.equal(res.status, 401);
  assert.match(res.json.status.error, /API key/);
  res = await request(q, 'GET', '/collections', { headers: { 'api-key': 'wrong' } });
  assert.equal(res.status, 403);
  res = await request(q, 'GET', '/collections', { headers: { 'api-key': kKey } });
  assert.equal(res.status, 200);
  res = await request(q, 'GET', '/collections', { headers: { authorization: `Bearer ${kKey}` } });
  assert.equal(res.status, 200);
  res = await request(q, 'GET', '/healthz');
  assert.equal(res.status, 200, 'health probes need no key');

  const l = keyed.urls.lightrag;
  const body = { query: 'circuit breaker', mode: 'mix' };
  res = await request(l, 'POST', '/query', { body });
  assert.deepEqual([res.status, res.json], [403, { detail: 'API Key required' }]);
  res = await request(l, 'POST', '/query', { body, headers: { 'x-api-key': 'nope' } });
  assert.deepEqual([res.status, res.json], [403, { detail: 'Invalid API Key' }]);
  res = await request(l, 'POST', '/query', { body, headers: { 'x-api-key': kKey } });
  assert.equal(res.status, 200);
  assert.equal(typeof res.json.response, 'string');
  assert.deepEqual((await violations(l)), []);
});

test('orchestrator: ingest-async is accepted and the job goes queued -> running -> succeeded', async () => {
  const doc = (text, source, title) => ({
    text,
    metadata: { source, title, content_type: 'text/markdown', job_id: 'shield-job-1' },
  });
  const body = {
    documents: [
      doc('# Circuit breakers\nA circuit breaker opens after repeated failures to protect a backend.', 'https://example.test/cb', 'Circuit breakers'),
      doc('# Pasta\nBoil pasta in salted water.', '/uploads/pasta.md', 'Pasta'),
    ],
  };
  let res = await request(U.orchestrator, 'POST', '/ingest-async', { body, headers: { 'idempotency-key': 'k1' } });
  assert.equal(res.status, 202, res.text);
  assert.deepEqual(orchestratorSchemas.check('IngestAccepted', res.json), []);
  assert.equal(res.json.status, 'queued');
  assert.equal(res.json.documents, 2);
  const jobId = res.json.job_id;

  res = await request(U.orchestrator, 'POST', '/ingest-async', { body, headers: { 'idempotency-key': 'k1' } });
  assert.equal(res.json.job_id, jobId, 'same idempotency key, same job');

  // Nothing is searchable before the job succeeds.
  res = await request(U.orchestrator, 'POST', '/lightrag/query', { body: { query: 'circuit breaker' } });
  assert.deepEqual(res.json.references, []);

  const seen = [];
  for (let i = 0; i < 4; i += 1) {
    res = await request(U.orchestrator, 'GET', `/jobs/${jobId}`);
    assert.equal(res.status, 200);
    assert.deepEqual(orchestratorSchemas.check('JobStatus', res.json), []);
    seen.push(res.json.status);
  }
  assert.deepEqual(seen, ['queued', 'running', 'succeeded', 'succeeded']);
  assert.deepEqual(res.json.documents, { total: 2, processed: 2, failed: 0 });

  res = await request(U.orchestrator, 'POST', '/lightrag/query', {
    body: { query: 'when does a circuit breaker open?', mode: 'hybrid', top_k: 2, conversation_history: [{ role: 'user', content: 'hi' }] },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(orchestratorSchemas.check('LightragQueryResponse', res.json), []);
  assert.match(res.json.response, /circuit breaker opens/i);
  assert.deepEqual(res.json.references[0], { reference_id: '1', file_path: 'https://example.test/cb', title: 'Circuit breakers' });

  res = await request(U.orchestrator, 'GET', '/jobs/job_unknown');
  assert.equal(res.status, 404);
  assert.deepEqual(orchestratorSchemas.check('Error', res.json), []);
  assert.equal(res.json.error.code, 'job_not_found');

  res = await request(U.orchestrator, 'GET', '/health');
  assert.deepEqual(res.json, { status: 'ok' });
});

test('orchestrator: injected job failure, and contract violations are recorded', async () => {
  await control(U.orchestrator, 'PATCH', '/_control/config', { fail_next: 1, polls_queued: 0, polls_running: 1 });
  const body = { documents: [{ text: 'x', metadata: { source: 's', title: 't', content_type: 'text/plain', job_id: 'j' } }] };
  const { json } = await request(U.orchestrator, 'POST', '/ingest-async', { body });
  const states = [];
  for (let i = 0; i < 3; i += 1) states.push((await request(U.orchestrator, 'GET', `/jobs/${json.job_id}`)).json);
  assert.deepEqual(states.map((s) => s.status), ['running', 'failed', 'failed']);
  assert.equal(states[1].error.code, 'ingest_failed');

  const res = await request(U.orchestrator, 'POST', '/ingest-async', {
    body: { documents: [{ text: 'x', metadata: { source: 's', title: 't', content_type: 'text/plain' } }] },
  });
  assert.equal(res.status, 422);
  assert.equal(res.json.error.code, 'invalid_request');
  assert.ok(Array.isArray(res.json.error.details));
  const v = await violations(U.orchestrator);
  assert.equal(v.length, 1);
  assert.equal(v[0].kind, 'invalid_body');
  assert.ok(v[0].errors.some((e) => e.params?.missingProperty === 'job_id'), JSON.stringify(v[0].errors));
  await control(U.orchestrator, 'DELETE', '/_control/violations');
});

test('lightrag: documents/texts, track_status progression and /query', async () => {
  let res = await request(U.lightrag, 'POST', '/documents/texts', {
    body: {
      texts: ['A bulkhead limits how many calls run at once against one backend.', 'Risotto needs constant stirring.'],
      file_sources: ['guide/bulkhead.md', 'food/risotto.md'],
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'success');
  assert.match(res.json.track_id, /^insert_\d{8}_\d{6}_[0-9a-f]{8}$/);
  const track = res.json.track_id;

  const summaries = [];
  for (let i = 0; i < 3; i += 1) {
    res = await request(U.lightrag, 'GET', `/documents/track_status/${track}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.total_count, 2);
    summaries.push(res.json.status_summary);
  }
  assert.deepEqual(summaries, [{ pending: 2 }, { processing: 2 }, { processed: 2 }]);
  assert.equal(res.json.documents[0].file_path, 'guide/bulkhead.md');
  assert.match(res.json.documents[0].id, /^doc-[0-9a-f]{32}$/);

  res = await request(U.lightrag, 'POST', '/query', {
    body: { query: 'what does a bulkhead limit?', mode: 'local', top_k: 1, only_need_context: false, response_type: 'Single Paragraph' },
  });
  assert.equal(res.status, 200, res.text);
  assert.match(res.json.response, /bulkhead limits/);
  assert.deepEqual(res.json.references, [{ reference_id: '1', file_path: 'guide/bulkhead.md' }]);

  res = await request(U.lightrag, 'POST', '/documents/texts', { body: { texts: ['Risotto needs constant stirring.'] } });
  assert.equal(res.json.status, 'duplicated');

  res = await request(U.lightrag, 'POST', '/query', { body: { query: 'bulkhead', mode: 'fast' } });
  assert.equal(res.status, 422);
  assert.deepEqual(res.json.detail[0].loc, ['body', 'mode']);
  const v = await violations(U.lightrag);
  assert.deepEqual(v.map((x) => [x.fake, x.kind]), [['lightrag', 'invalid_body']]);
  await control(U.lightrag, 'DELETE', '/_control/violations');
});

test('the program exits when its stdin closes', async () => {
  const f = await startFakes(['--qdrant', '0']);
  const exited = once(f.child, 'exit');
  f.child.stdin.end();
  const [code] = await exited;
  assert.equal(code, 0);
});
