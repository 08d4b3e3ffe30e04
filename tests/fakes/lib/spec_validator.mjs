// Validates requests (path, query and body) and our own responses against an
// official OpenAPI document, or against a plain JSON Schema file for contracts
// that have no OpenAPI document (the orchestrator, LightRAG, OpenAI embeddings).
//
// OpenAPI 3.0 (Qdrant) schemas are turned into JSON Schema first: `nullable` goes
// away (`{nullable: true}` alone means "null", as schemars emits it for Option<T>).
// OpenAPI 3.1 (Ollama) schemas already are JSON Schema 2020-12.
//
// With `strictUnknownFields` (the default), an object schema that lists its
// properties and says nothing about others gets `additionalProperties: false`.
// Real servers often ignore unknown fields, so a misspelt option would silently
// do nothing there; the fake reports it instead.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseJsonBody } from './http_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
const nodeModules = path.join(repoRoot, 'tests', 'node', 'node_modules');
const require = createRequire(path.join(nodeModules, 'x.js'));
const Ajv = require('ajv').default;
const Ajv2020 = require('ajv/dist/2020.js').default;
const addFormats = require('ajv-formats').default;
const YAML = require('yaml');

const kMaxReportedErrors = 8;

export function defaultSpecsDir() {
  return process.env.SHIELD_SPECS_DIR ?? path.resolve(repoRoot, '..', 'shared', 'specs');
}

function makeAjv(dialect) {
  const options = { strict: false, allErrors: false, validateFormats: true, ownProperties: true };
  const ajv = dialect === '2020' ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  const intRange = (lo, hi) => (x) => Number.isInteger(x) && x >= lo && x <= hi;
  ajv.addFormat('uint', { type: 'number', validate: intRange(0, Number.MAX_SAFE_INTEGER) });
  ajv.addFormat('uint8', { type: 'number', validate: intRange(0, 255) });
  ajv.addFormat('uint16', { type: 'number', validate: intRange(0, 65535) });
  ajv.addFormat('uint32', { type: 'number', validate: intRange(0, 4294967295) });
  ajv.addFormat('uint64', { type: 'number', validate: (x) => Number.isInteger(x) && x >= 0 });
  ajv.addFormat('int32', { type: 'number', validate: intRange(-2147483648, 2147483647) });
  ajv.addFormat('int64', { type: 'number', validate: (x) => Number.isInteger(x) });
  ajv.addFormat('float', { type: 'number', validate: (x) => Number.isFinite(x) && Math.abs(x) <= 3.4028234663852886e38 });
  ajv.addFormat('double', { type: 'number', validate: (x) => Number.isFinite(x) });
  // Qdrant accepts a date with an optional time and zone here.
  ajv.addFormat('partial-date-time', /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/);
  return ajv;
}

const kSchemaMaps = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const kSchemaLists = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const kSchemaSingles = [
  'additionalProperties',
  'items',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const kNonConstraintKeys = new Set(['nullable', 'description', 'default', 'title', 'example', 'examples', 'deprecated']);

// Returns a transformed deep copy of a schema. `refPrefix` is put in front of
// local refs ("#/...") so inline schemas can point into the registered document.
export function transformSchema(schema, { openapi30 = false, strictUnknownFields = true, refPrefix = '' } = {}) {
  const walk = (s) => {
    if (Array.isArray(s)) return s.map(walk);
    if (!s || typeof s !== 'object') return s;
    const out = {};
    for (const [k, v] of Object.entries(s)) {
      if (kSchemaMaps.includes(k) && v && typeof v === 'object') {
        out[k] = Object.fromEntries(Object.entries(v).map(([n, sub]) => [n, walk(sub)]));
      } else if (kSchemaLists.includes(k) && Array.isArray(v)) {
        out[k] = v.map(walk);
      } else if (kSchemaSingles.includes(k) && v && typeof v === 'object') {
        out[k] = walk(v);
      } else if (k === '$ref' && typeof v === 'string' && v.startsWith('#') && refPrefix) {
        out[k] = refPrefix + v;
      } else {
        out[k] = v;
      }
    }
    if (openapi30 && out.nullable !== undefined) {
      const nullable = out.nullable === true;
      delete out.nullable;
      if (nullable) {
        if (typeof out.type === 'string') {
          out.type = [out.type, 'null'];
          if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
        } else if (out.type === undefined) {
          const constraints = Object.keys(s).filter((k) => !kNonConstraintKeys.has(k));
          if (constraints.length === 0) out.type = 'null';
        }
      }
    }
    const isObjectSchema = out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object'));
    if (
      strictUnknownFields &&
      isObjectSchema &&
      out.properties &&
      out.additionalProperties === undefined &&
      out.patternProperties === undefined &&
      out.unevaluatedProperties === undefined &&
      !out.anyOf &&
      !out.oneOf &&
      !out.allOf
    ) {
      out.additionalProperties = false;
    }
    return out;
  };
  return walk(schema);
}

export function formatAjvErrors(errors) {
  return (errors ?? []).slice(0, kMaxReportedErrors).map((e) => ({
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    keyword: e.keyword,
    message: e.message,
    params: e.params,
  }));
}

// Query-string and path values arrive as text; try the spellings a server would
// accept for the declared schema.
function textCandidates(text) {
  const out = [text];
  if (/^-?\d+$/.test(text)) out.unshift(Number(text));
  else if (/^-?\d*\.\d+(e[+-]?\d+)?$/i.test(text)) out.unshift(Number(text));
  if (text === 'true') out.unshift(true);
  if (text === 'false') out.unshift(false);
  return out;
}

export class OpenApiSpec {
  constructor(file, { strictUnknownFields = true } = {}) {
    const raw = fs.readFileSync(file, 'utf8');
    this.file = file;
    this.doc = file.endsWith('.json') ? JSON.parse(raw) : YAML.parse(raw);
    this.openapi30 = String(this.doc.openapi).startsWith('3.0');
    this.strictUnknownFields = strictUnknownFields;
    this.ajv = makeAjv(this.openapi30 ? '07' : '2020');
    this.rootId = `urn:shield-fake:${path.basename(file)}`;
    const schemas = this.doc.components?.schemas ?? {};
    const transformed = {};
    for (const [name, s] of Object.entries(schemas)) {
      transformed[name] = transformSchema(s, { openapi30: this.openapi30, strictUnknownFields });
    }
    this.ajv.addSchema({ $id: this.rootId, components: { schemas: transformed } });
    this.cache = new Map();
  }

  version() {
    return this.doc.info?.version;
  }

  // Every operation in the document: {method, template, operationId, op}.
  operations() {
    const out = [];
    for (const [template, item] of Object.entries(this.doc.paths ?? {})) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
        if (item[method]) {
          out.push({
            method: method.toUpperCase(),
            template,
            operationId: item[method].operationId ?? `${method} ${template}`,
            op: item[method],
            pathParams: item.parameters ?? [],
          });
        }
      }
    }
    return out;
  }

  compileInline(schema) {
    const key = JSON.stringify(schema);
    let fn = this.cache.get(key);
    if (!fn) {
      const t = transformSchema(schema, {
        openapi30: this.openapi30,
        strictUnknownFields: this.strictUnknownFields,
        refPrefix: this.rootId,
      });
      fn = this.ajv.compile(t);
      this.cache.set(key, fn);
    }
    return fn;
  }

  componentValidator(name) {
    return this.compileInline({ $ref: `#/components/schemas/${name}` });
  }

  resolveParam(p) {
    if (p.$ref) {
      const name = p.$ref.split('/').pop();
      return this.doc.components.parameters[name];
    }
    return p;
  }

  // Returns ctx => problems[] for one operation. `bodyOptions` goes to parseJsonBody.
  requestValidator(operation, { requireContentType = true } = {}) {
    const { op, pathParams } = operation;
    const params = [...pathParams, ...(op.parameters ?? [])].map((p) => this.resolveParam(p));
    const pathDefs = params.filter((p) => p.in === 'path');
    const queryDefs = params.filter((p) => p.in === 'query');
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    // Compiled on first use: the Qdrant document has ~100 operations and most
    // are never called in a run.
    let bodyValidator;
    let paramValidators;

    return (ctx) => {
      if (paramValidators === undefined) {
        bodyValidator = bodySchema ? this.compileInline(bodySchema) : null;
        paramValidators = new Map(params.filter((p) => p.schema).map((p) => [`${p.in}:${p.name}`, this.compileInline(p.schema)]));
      }
      const problems = [];
      for (const def of pathDefs) {
        const value = ctx.params[def.name];
        const check = paramValidators.get(`path:${def.name}`);
        if (value === undefined || (check && !textCandidates(value).some((v) => check(v)))) {
          problems.push({
            kind: 'invalid_path_param',
            errors: [`path parameter "${def.name}"=${JSON.stringify(value)} does not match ${JSON.stringify(def.schema)}`],
            status: 422,
            message: `Validation error in path parameters: ${def.name}`,
          });
        }
      }
      const seen = new Map();
      for (const [name, value] of ctx.query) {
        seen.set(name, (seen.get(name) ?? 0) + 1);
        const def = queryDefs.find((q) => q.name === name);
        if (!def) {
          if (this.strictUnknownFields) {
            problems.push({
              kind: 'invalid_query',
              errors: [`unknown query parameter "${name}" (declared: ${queryDefs.map((q) => q.name).join(', ') || 'none'})`],
              status: 422,
              message: `Validation error in query parameters: unknown parameter ${name}`,
            });
          }
          continue;
        }
        const check = paramValidators.get(`query:${name}`);
        if (check && !textCandidates(value).some((v) => check(v))) {
          problems.push({
            kind: 'invalid_query',
            errors: [`query parameter "${name}"=${JSON.stringify(value)} does not match ${JSON.stringify(def.schema)}`],
            status: 422,
            message: `Validation error in query parameters: ${name}=${value}`,
          });
        }
      }
      for (const [name, n] of seen) {
        if (n > 1) {
          problems.push({
            kind: 'invalid_query',
            errors: [`query parameter "${name}" given ${n} times`],
            status: 422,
            message: `Validation error in query parameters: duplicate field ${name}`,
          });
        }
      }
      for (const def of queryDefs) {
        if (def.required && !ctx.query.has(def.name)) {
          problems.push({ kind: 'invalid_query', errors: [`missing required query parameter "${def.name}"`], status: 422 });
        }
      }
      if (bodyValidator) {
        const parseProblem = parseJsonBody(ctx, { requireContentType, required: true });
        if (parseProblem) {
          problems.push(parseProblem);
        } else if (!bodyValidator(ctx.body)) {
          problems.push({
            kind: 'invalid_body',
            errors: formatAjvErrors(bodyValidator.errors),
            status: 422,
            message: `Validation error in JSON body: ${summarize(bodyValidator.errors)}`,
          });
        }
      } else if (ctx.bodyText.trim() !== '') {
        problems.push({
          kind: 'unexpected_body',
          errors: [`${operation.method} ${operation.template} takes no request body`],
          status: 400,
          message: 'This endpoint takes no request body',
        });
      }
      return problems;
    };
  }

  // Returns (status, body) => errors[] checking an answer against the documented
  // response schema for that status.
  responseChecker(operation) {
    const responses = operation.op.responses ?? {};
    const pick = (status) => {
      const s = String(status);
      return responses[s] ?? responses[`${s[0]}XX`] ?? responses.default;
    };
    return (status, body) => {
      const r = pick(status);
      if (!r) return [`status ${status} is not documented for ${operation.operationId}`];
      const schema = r.content?.['application/json']?.schema;
      if (!schema) return [];
      const check = this.compileInline(schema);
      return check(body) ? [] : formatAjvErrors(check.errors);
    };
  }
}

// A JSON Schema (2020-12) file whose `$defs` hold named request/response schemas.
export class SchemaFile {
  constructor(file, { strictUnknownFields = true } = {}) {
    this.file = file;
    this.doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    this.ajv = makeAjv('2020');
    this.rootId = this.doc.$id ?? `urn:shield-fake:${path.basename(file)}`;
    const t = transformSchema(this.doc, { strictUnknownFields });
    t.$id = this.rootId;
    this.ajv.addSchema(t);
    this.cache = new Map();
  }

  validator(defName) {
    let fn = this.cache.get(defName);
    if (!fn) {
      if (!this.doc.$defs?.[defName]) throw new Error(`${this.file} has no $defs/${defName}`);
      fn = this.ajv.getSchema(`${this.rootId}#/$defs/${defName}`);
      this.cache.set(defName, fn);
    }
    return fn;
  }

  // problems[] for ctx.body against $defs/defName (parsing the body first).
  checkBody(ctx, defName, { requireContentType = true } = {}) {
    const parseProblem = parseJsonBody(ctx, { requireContentType, required: true });
    if (parseProblem) return [parseProblem];
    const check = this.validator(defName);
    if (check(ctx.body)) return [];
    return [
      {
        kind: 'invalid_body',
        errors: formatAjvErrors(check.errors),
        status: 422,
        message: `request body does not match ${defName}: ${summarize(check.errors)}`,
        ajvErrors: check.errors,
      },
    ];
  }

  check(defName, value) {
    const fn = this.validator(defName);
    return fn(value) ? [] : formatAjvErrors(fn.errors);
  }
}

export function summarize(errors) {
  const e = errors?.[0];
  if (!e) return 'invalid';
  return `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`;
}
