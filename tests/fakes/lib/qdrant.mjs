// Fake Qdrant (REST API of the pinned openapi.json). Every route of the spec is
// known: requests are validated against it, the operations shield-mcp uses are
// served from an in-memory store with real scoring and filtering, and any other
// spec operation answers 501 and is recorded as an "unimplemented" violation so
// a test never passes against behaviour the fake does not have.

import { HttpError, compileTemplate, matchRoutes, sameSecret, bearerToken, textResponse } from './http_util.mjs';

const kVersion = '1.19.0';
const kUnnamed = '';

// Routes open without an API key, as on a real Qdrant.
const kPublicOperations = new Set(['healthz', 'livez', 'readyz']);

export function createQdrant({ spec, apiKey = null, checkResponses = true }) {
  const state = { collections: new Map(), operationId: 0 };
  const service = {
    name: 'qdrant',
    routes: [],
    match: null,
    errorBody(_status, message, ctx) {
      return { status: { error: message }, time: elapsed(ctx) };
    },
    authenticate(ctx) {
      if (!apiKey || kPublicOperations.has(ctx.route.id)) return null;
      const given = ctx.headers['api-key'] ?? bearerToken(ctx.headers);
      if (given === undefined || given === null || given === '') {
        return { status: 401, message: 'Must provide an API key or an Authorization bearer token' };
      }
      if (!sameSecret(given, apiKey)) return { status: 403, message: 'Invalid API key or JWT' };
      return null;
    },
    resetState() {
      state.collections.clear();
      state.operationId = 0;
    },
    control(method, path) {
      if (method === 'GET' && path === '/_control/state') {
        return {
          body: {
            collections: Object.fromEntries(
              [...state.collections].map(([name, c]) => [name, { vectors: c.vectorsConfig, points: c.points.size }]),
            ),
          },
        };
      }
      return null;
    },
  };

  const unimplemented = (ctx, what) => {
    ctx.fake.violations.record({
      kind: 'unimplemented',
      method: ctx.method,
      path: ctx.path,
      route: ctx.route?.template,
      errors: [`the fake Qdrant does not implement ${what}`],
      body: ctx.bodyText,
    });
    return new HttpError(501, `fake Qdrant does not implement ${what}`);
  };

  const ok = (ctx, result) => ({ status: 200, body: { result, status: 'ok', time: elapsed(ctx) } });

  const collection = (ctx) => {
    const name = ctx.params.collection_name;
    const c = state.collections.get(name);
    if (!c) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  };

  const updateResult = (ctx) => {
    state.operationId += 1;
    const wait = ctx.query.get('wait') === 'true';
    return { operation_id: state.operationId, status: wait ? 'completed' : 'acknowledged' };
  };

  const handlers = {
    root: () => ({ status: 200, body: { title: 'qdrant - vector search engine', version: kVersion } }),
    healthz: () => textResponse(200, 'healthz check passed'),
    livez: () => textResponse(200, 'healthz check passed'),
    readyz: () => textResponse(200, 'all shards are ready'),

    get_collections: (ctx) => ok(ctx, { collections: [...state.collections.keys()].map((name) => ({ name })) }),

    collection_exists: (ctx) => ok(ctx, { exists: state.collections.has(ctx.params.collection_name) }),

    create_collection: (ctx) => {
      const name = ctx.params.collection_name;
      if (state.collections.has(name)) throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
      if (!/^[^/\\\0*<>:|?"]{1,255}$/.test(name)) {
        throw new HttpError(422, `Validation error in path parameters: [name: collection name contains forbidden characters]`);
      }
      const body = ctx.body ?? {};
      for (const field of ['sparse_vectors', 'quantization_config', 'sharding_method']) {
        if (body[field] !== undefined && body[field] !== null) throw unimplemented(ctx, `CreateCollection.${field}`);
      }
      const vectorsConfig = body.vectors ?? {};
      const params = new Map();
      if (vectorsConfig.size !== undefined && typeof vectorsConfig.size === 'number') {
        if (vectorsConfig.multivector_config) throw unimplemented(ctx, 'multivector_config');
        params.set(kUnnamed, { size: vectorsConfig.size, distance: vectorsConfig.distance });
      } else {
        for (const [vname, p] of Object.entries(vectorsConfig)) {
          if (p.multivector_config) throw unimplemented(ctx, 'multivector_config');
          params.set(vname, { size: p.size, distance: p.distance });
        }
      }
      state.collections.set(name, {
        name,
        vectorsConfig,
        params,
        named: !params.has(kUnnamed),
        points: new Map(),
        payloadSchema: {},
        createBody: body,
      });
      return ok(ctx, true);
    },

    delete_collection: (ctx) => ok(ctx, state.collections.delete(ctx.params.collection_name)),

    get_collection: (ctx) => {
      const c = collection(ctx);
      const b = c.createBody;
      return ok(ctx, {
        status: 'green',
        optimizer_status: 'ok',
        indexed_vectors_count: 0,
        points_count: c.points.size,
        segments_count: 2,
        config: {
          params: {
            vectors: c.vectorsConfig,
            shard_number: b.shard_number ?? 1,
            replication_factor: b.replication_factor ?? 1,
            write_consistency_factor: b.write_consistency_factor ?? 1,
            on_disk_payload: b.on_disk_payload ?? true,
          },
          hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
          optimizer_config: {
            deleted_threshold: 0.2,
            vacuum_min_vector_number: 1000,
            default_segment_number: 0,
            max_segment_size: null,
            memmap_threshold: null,
            indexing_threshold: 10000,
            flush_interval_sec: 5,
            max_optimization_threads: null,
          },
          wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 },
          quantization_config: null,
          strict_mode_config: { enabled: false },
        },
        payload_schema: c.payloadSchema,
      });
    },

    create_field_index: (ctx) => {
      const c = collection(ctx);
      const fs = ctx.body.field_schema;
      const dataType = typeof fs === 'string' ? fs : (fs?.type ?? 'keyword');
      c.payloadSchema[ctx.body.field_name] = { data_type: dataType, points: c.points.size };
      return ok(ctx, updateResult(ctx));
    },

    upsert_points: (ctx) => {
      const c = collection(ctx);
      const body = ctx.body;
      if (body.update_filter || (body.update_mode && body.update_mode !== 'upsert')) {
        throw unimplemented(ctx, 'upsert with update_filter/update_mode');
      }
      let incoming;
      if (body.batch) {
        const { ids, vectors, payloads } = body.batch;
        const count = ids.length;
        const perPoint = [];
        if (Array.isArray(vectors)) {
          if (vectors.length !== count) throw new HttpError(400, `Wrong input: Batch has ${count} ids but ${vectors.length} vectors`);
          vectors.forEach((v) => perPoint.push(v));
        } else {
          for (let i = 0; i < count; i += 1) perPoint.push({});
          for (const [vname, list] of Object.entries(vectors)) {
            if (list.length !== count) throw new HttpError(400, `Wrong input: Batch has ${count} ids but ${list.length} "${vname}" vectors`);
            list.forEach((v, i) => {
              perPoint[i][vname] = v;
            });
          }
        }
        if (payloads && payloads.length !== count) throw new HttpError(400, `Wrong input: Batch has ${count} ids but ${payloads.length} payloads`);
        incoming = ids.map((id, i) => ({ id, vector: perPoint[i], payload: payloads?.[i] ?? null }));
      } else {
        incoming = body.points;
      }
      const prepared = incoming.map((p) => ({
        key: idKey(p.id),
        id: normalizeId(p.id),
        vectors: resolvePointVectors(ctx, c, p.vector, unimplemented),
        payload: p.payload ?? {},
      }));
      const result = updateResult(ctx);
      for (const p of prepared) {
        c.points.set(p.key, { id: p.id, vectors: p.vectors, payload: structuredClone(p.payload), version: result.operation_id });
      }
      return ok(ctx, result);
    },

    get_point: (ctx) => {
      const c = collection(ctx);
      const raw = ctx.params.id;
      const id = /^\d+$/.test(raw) ? Number(raw) : raw;
      const point = c.points.get(idKey(id));
      if (!point) throw new HttpError(404, `Not found: No point with id ${raw} found`);
      return ok(ctx, toRecord(c, point, { withPayload: true, withVector: true }));
    },

    get_points: (ctx) => {
      const c = collection(ctx);
      const out = [];
      for (const id of ctx.body.ids) {
        const point = c.points.get(idKey(id));
        if (point) {
          out.push(toRecord(c, point, { withPayload: ctx.body.with_payload ?? true, withVector: ctx.body.with_vector ?? false }));
        }
      }
      return ok(ctx, out);
    },

    delete_points: (ctx) => {
      const c = collection(ctx);
      if (ctx.body.points) {
        for (const id of ctx.body.points) c.points.delete(idKey(id));
      } else {
        for (const [key, point] of c.points) {
          if (matchesFilter(ctx, point, ctx.body.filter, unimplemented)) c.points.delete(key);
        }
      }
      return ok(ctx, updateResult(ctx));
    },

    count_points: (ctx) => {
      const c = collection(ctx);
      const filter = ctx.body?.filter;
      let count = 0;
      for (const point of c.points.values()) if (matchesFilter(ctx, point, filter, unimplemented)) count += 1;
      return ok(ctx, { count });
    },

    scroll_points: (ctx) => {
      const c = collection(ctx);
      const body = ctx.body ?? {};
      if (body.order_by) throw unimplemented(ctx, 'scroll order_by');
      const limit = body.limit ?? 10;
      const sorted = [...c.points.values()].sort(compareIds).filter((p) => matchesFilter(ctx, p, body.filter, unimplemented));
      let start = 0;
      if (body.offset !== undefined && body.offset !== null) {
        const from = { id: normalizeId(body.offset) };
        start = sorted.findIndex((p) => compareIds(p, from) >= 0);
        if (start < 0) start = sorted.length;
      }
      const page = sorted.slice(start, start + limit);
      const next = sorted[start + limit];
      return ok(ctx, {
        points: page.map((p) => toRecord(c, p, { withPayload: body.with_payload ?? true, withVector: body.with_vector ?? false })),
        next_page_offset: next ? next.id : null,
      });
    },

    query_points: (ctx) => {
      const c = collection(ctx);
      const body = ctx.body;
      for (const field of ['prefetch', 'lookup_from']) {
        if (body[field] !== undefined && body[field] !== null) throw unimplemented(ctx, `QueryRequest.${field}`);
      }
      const using = body.using ?? kUnnamed;
      const limit = body.limit ?? 10;
      const offset = body.offset ?? 0;
      const candidates = [...c.points.values()].filter((p) => matchesFilter(ctx, p, body.filter, unimplemented));

      let scored;
      if (body.query === undefined || body.query === null) {
        scored = candidates.sort(compareIds).map((p) => ({ point: p, score: 0 }));
      } else {
        const params = c.params.get(using);
        if (!params) throw new HttpError(400, `Wrong input: Not existing vector name error: ${using}`);
        const { vector, excludeKey } = queryVector(ctx, c, body.query, using, unimplemented);
        if (vector.length !== params.size) {
          throw new HttpError(400, `Wrong input: Vector dimension error: expected dim: ${params.size}, got ${vector.length}`);
        }
        const q = params.distance === 'Cosine' ? normalize(vector) : vector;
        const lowerIsBetter = params.distance === 'Euclid' || params.distance === 'Manhattan';
        scored = [];
        for (const p of candidates) {
          if (excludeKey && idKey(p.id) === excludeKey) continue;
          const v = p.vectors[using];
          if (!v) continue;
          const score = distanceScore(params.distance, q, v);
          if (body.score_threshold !== undefined && body.score_threshold !== null) {
            if (lowerIsBetter ? score > body.score_threshold : score < body.score_threshold) continue;
          }
          scored.push({ point: p, score });
        }
        scored.sort((a, b) => (lowerIsBetter ? a.score - b.score : b.score - a.score) || compareIds(a.point, b.point));
      }
      const page = scored.slice(offset, offset + limit);
      return ok(ctx, {
        points: page.map(({ point, score }) => ({
          ...toRecord(c, point, { withPayload: body.with_payload ?? false, withVector: body.with_vector ?? false }),
          version: point.version,
          score: Math.fround(score),
        })),
      });
    },
  };

  const routes = spec.operations().map((operation) => {
    const handler = handlers[operation.operationId];
    const validate = spec.requestValidator(operation, { requireContentType: true });
    const route = {
      id: operation.operationId,
      method: operation.method,
      template: operation.template,
      compiled: compileTemplate(operation.template),
      validate,
      checkResponse: checkResponses ? spec.responseChecker(operation) : null,
      handler:
        handler ??
        ((ctx) => {
          throw unimplemented(ctx, `${operation.operationId} (${operation.method} ${operation.template})`);
        }),
    };
    return route;
  });
  service.routes = routes;
  service.match = (method, path) => matchRoutes(routes, method, path);
  return service;
}

function elapsed(ctx) {
  if (!ctx?.started) return 0;
  return Number(process.hrtime.bigint() - ctx.started) / 1e9;
}

function idKey(id) {
  return typeof id === 'number' ? `n:${id}` : `u:${String(id).toLowerCase()}`;
}

function normalizeId(id) {
  return typeof id === 'number' ? id : String(id).toLowerCase();
}

// Numeric ids first, in numeric order, then UUIDs in text order.
function compareIds(a, b) {
  const x = a.id;
  const y = b.id;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'number') return -1;
  if (typeof y === 'number') return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function normalize(v) {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return n === 0 ? v.slice() : v.map((x) => x / n);
}

function distanceScore(distance, q, v) {
  let acc = 0;
  switch (distance) {
    case 'Cosine':
    case 'Dot':
      for (let i = 0; i < q.length; i += 1) acc += q[i] * v[i];
      return acc;
    case 'Euclid':
      for (let i = 0; i < q.length; i += 1) acc += (q[i] - v[i]) ** 2;
      return Math.sqrt(acc);
    case 'Manhattan':
      for (let i = 0; i < q.length; i += 1) acc += Math.abs(q[i] - v[i]);
      return acc;
    default:
      throw new HttpError(500, `unknown distance ${distance}`);
  }
}

function isDense(v) {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

// Turns a point's `vector` field into {name: dense vector}, checking names and sizes.
function resolvePointVectors(ctx, c, vector, unimplemented) {
  let byName;
  if (isDense(vector)) {
    byName = { [kUnnamed]: vector };
  } else if (vector && typeof vector === 'object' && !Array.isArray(vector) && !('text' in vector) && !('image' in vector) && !('object' in vector)) {
    byName = vector;
  } else {
    throw unimplemented(ctx, 'multi-dense, document, image or inference vectors');
  }
  const out = {};
  for (const [name, v] of Object.entries(byName)) {
    const params = c.params.get(name);
    if (!params) throw new HttpError(400, `Wrong input: Not existing vector name error: ${name}`);
    if (!isDense(v)) throw unimplemented(ctx, 'sparse or multi-dense vectors');
    if (v.length !== params.size) {
      throw new HttpError(400, `Wrong input: Vector dimension error: expected dim: ${params.size}, got ${v.length}`);
    }
    out[name] = params.distance === 'Cosine' ? normalize(v) : v.slice();
  }
  return out;
}

function queryVector(ctx, c, query, using, unimplemented) {
  let q = query;
  if (q && typeof q === 'object' && !Array.isArray(q)) {
    if (!('nearest' in q)) throw unimplemented(ctx, `query type ${Object.keys(q).join(',')}`);
    if (q.mmr) throw unimplemented(ctx, 'nearest.mmr');
    q = q.nearest;
  }
  if (isDense(q)) return { vector: q, excludeKey: null };
  if (typeof q === 'number' || typeof q === 'string') {
    const point = c.points.get(idKey(q));
    if (!point) throw new HttpError(404, `Not found: No point with id ${q} found`);
    const v = point.vectors[using];
    if (!v) throw new HttpError(400, `Wrong input: Point ${q} has no vector "${using}"`);
    return { vector: v, excludeKey: idKey(q) };
  }
  throw unimplemented(ctx, 'sparse, multi-dense, document, image or inference queries');
}

function toRecord(c, point, { withPayload, withVector }) {
  const out = { id: point.id };
  const payload = selectPayload(point.payload, withPayload);
  if (payload !== undefined) out.payload = payload;
  const vector = selectVector(c, point, withVector);
  if (vector !== undefined) out.vector = vector;
  return out;
}

function selectPayload(payload, sel) {
  if (sel === undefined || sel === null || sel === false) return undefined;
  if (sel === true) return structuredClone(payload);
  const keys = Array.isArray(sel) ? sel : sel.include;
  if (keys) {
    const out = {};
    for (const k of keys) {
      const top = k.split('.')[0];
      if (top in payload) out[top] = structuredClone(payload[top]);
    }
    return out;
  }
  const out = structuredClone(payload);
  for (const k of sel.exclude ?? []) delete out[k.split('.')[0]];
  return out;
}

function selectVector(c, point, sel) {
  if (!sel) return undefined;
  const names = sel === true ? Object.keys(point.vectors) : sel;
  if (!c.named && (sel === true || names.includes(kUnnamed))) return point.vectors[kUnnamed];
  return Object.fromEntries(names.filter((n) => point.vectors[n]).map((n) => [n, point.vectors[n]]));
}

// --- filters -----------------------------------------------------------------

function asList(x) {
  if (x === undefined || x === null) return [];
  return Array.isArray(x) ? x : [x];
}

// Values found at a dotted payload key; arrays along the way are flattened, and
// `name[]` explicitly walks into an array.
function valuesAt(payload, key) {
  let current = [payload];
  for (const rawSeg of key.split('.')) {
    const seg = rawSeg.endsWith('[]') ? rawSeg.slice(0, -2) : rawSeg;
    const next = [];
    for (const v of current) {
      const objects = Array.isArray(v) ? v : [v];
      for (const o of objects) {
        if (o && typeof o === 'object' && !Array.isArray(o) && Object.hasOwn(o, seg)) next.push(o[seg]);
      }
    }
    current = next;
  }
  return current;
}

function leaves(values) {
  const out = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v);
  };
  values.forEach(walk);
  return out;
}

function matchesFilter(ctx, point, filter, unimplemented, payload = point.payload) {
  if (!filter) return true;
  const test = (cond) => matchesCondition(ctx, point, cond, unimplemented, payload);
  const must = asList(filter.must);
  const should = asList(filter.should);
  const mustNot = asList(filter.must_not);
  if (!must.every(test)) return false;
  if (should.length > 0 && !should.some(test)) return false;
  if (mustNot.some(test)) return false;
  if (filter.min_should) {
    const hits = filter.min_should.conditions.filter(test).length;
    if (hits < filter.min_should.min_count) return false;
  }
  return true;
}

function matchesCondition(ctx, point, cond, unimplemented, payload) {
  if (typeof cond.key !== 'string') {
    if ('has_id' in cond) return cond.has_id.some((id) => idKey(id) === idKey(point.id));
    if ('has_vector' in cond) return Boolean(point.vectors[cond.has_vector]);
    if ('is_empty' in cond) return isEmptyValue(valuesAt(payload, cond.is_empty.key));
    if ('is_null' in cond) return valuesAt(payload, cond.is_null.key).some((v) => v === null);
    if ('nested' in cond) {
      const items = leaves(valuesAt(payload, cond.nested.key)).filter((v) => v && typeof v === 'object');
      return items.some((item) => matchesFilter(ctx, point, cond.nested.filter, unimplemented, item));
    }
    if ('slice' in cond) throw unimplemented(ctx, 'slice conditions');
    return matchesFilter(ctx, point, cond, unimplemented, payload);
  }

  const raw = valuesAt(payload, cond.key);
  const vals = leaves(raw);
  let result = true;
  let tested = false;
  if (cond.match) {
    tested = true;
    result &&= matchValue(ctx, vals, cond.match, unimplemented);
  }
  if (cond.range) {
    tested = true;
    result &&= matchRange(vals, cond.range);
  }
  if (cond.values_count) {
    tested = true;
    const n = vals.filter((v) => v !== null).length;
    const r = cond.values_count;
    result &&= !(r.lt != null && !(n < r.lt)) && !(r.gt != null && !(n > r.gt)) && !(r.lte != null && !(n <= r.lte)) && !(r.gte != null && !(n >= r.gte));
  }
  if (cond.is_empty === true || cond.is_empty === false) {
    tested = true;
    result &&= isEmptyValue(raw) === cond.is_empty;
  }
  if (cond.is_null === true || cond.is_null === false) {
    tested = true;
    result &&= raw.some((v) => v === null) === cond.is_null;
  }
  for (const geo of ['geo_bounding_box', 'geo_radius', 'geo_polygon']) {
    if (cond[geo]) throw unimplemented(ctx, `${geo} conditions`);
  }
  if (!tested) throw new HttpError(400, `Wrong input: condition on "${cond.key}" has no match, range or other test`);
  return result;
}

function isEmptyValue(raw) {
  return raw.length === 0 || raw.every((v) => v === null || (Array.isArray(v) && v.length === 0));
}

function matchValue(ctx, vals, match, unimplemented) {
  if ('value' in match) return vals.some((v) => v === match.value);
  if ('any' in match) return vals.some((v) => match.any.includes(v));
  if ('except' in match) return vals.length > 0 && vals.some((v) => !match.except.includes(v));
  const strings = vals.filter((v) => typeof v === 'string');
  if ('text' in match) return strings.some((s) => s.includes(match.text));
  if ('phrase' in match) return strings.some((s) => s.toLowerCase().includes(match.phrase.toLowerCase()));
  if ('prefix' in match) return strings.some((s) => s.startsWith(match.prefix));
  if ('text_any' in match) {
    const wanted = match.text_any.toLowerCase().split(/\s+/).filter(Boolean);
    return strings.some((s) => {
      const words = new Set(s.toLowerCase().split(/\W+/));
      return wanted.some((w) => words.has(w));
    });
  }
  throw unimplemented(ctx, `match ${Object.keys(match).join(',')}`);
}

function matchRange(vals, range) {
  const bounds = ['lt', 'gt', 'lte', 'gte'].filter((k) => range[k] !== undefined && range[k] !== null);
  const isDate = bounds.some((k) => typeof range[k] === 'string');
  const conv = (x) => (isDate ? Date.parse(x) : x);
  return vals.some((raw) => {
    if (isDate ? typeof raw !== 'string' : typeof raw !== 'number') return false;
    const v = conv(raw);
    if (Number.isNaN(v)) return false;
    return bounds.every((k) => {
      const b = conv(range[k]);
      if (k === 'lt') return v < b;
      if (k === 'gt') return v > b;
      if (k === 'lte') return v <= b;
      return v >= b;
    });
  });
}
