// Shared HTTP plumbing for the fake backends: one request pipeline (route match,
// spec validation, fault injection, auth, handler), the control API that tests
// drive, and the logs (violations, requests) that make a misbehaving client fail
// the test that caused it.

import http from 'node:http';
import { FaultInjector, compileRoutePattern, escapeRegex } from './fault_injector.mjs';

const kMaxBodyBytes = 64 * 1024 * 1024;
const kMaxLogEntries = 5000;
const kBodyExcerptChars = 2000;

export class HttpError extends Error {
  // `body` overrides the fake's documented error shape when a route needs a
  // different one (OpenAI-compatible routes on the Ollama port, for instance).
  constructor(status, message, { body, headers } = {}) {
    super(message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export function textResponse(status, text, headers = {}) {
  return { status, text, headers };
}

// Path templates use OpenAPI's `{name}` syntax. A literal segment beats a
// parameter, so `/points/query` wins over `/points/{id}`.
export function compileTemplate(template) {
  const segments = template.split('/').slice(1);
  const names = [];
  let literals = 0;
  const pattern = segments
    .map((seg) => {
      const m = /^\{([^}]+)\}$/.exec(seg);
      if (m) {
        names.push(m[1]);
        return '([^/]+)';
      }
      literals += 1;
      return escapeRegex(seg);
    })
    .join('/');
  const regex = new RegExp(`^/${pattern}$`);
  return {
    template,
    literals,
    match(path) {
      const m = regex.exec(path);
      if (!m) return null;
      const params = {};
      names.forEach((n, i) => {
        params[n] = safeDecode(m[i + 1]);
      });
      return params;
    },
  };
}

// Picks the most specific matching template; 405 when only the method is wrong.
export function matchRoutes(routes, method, path) {
  let best = null;
  const allowed = new Set();
  for (const route of routes) {
    const params = route.compiled.match(path);
    if (!params) continue;
    if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
      allowed.add(route.method);
      continue;
    }
    if (!best || route.compiled.literals > best.route.compiled.literals) best = { route, params };
  }
  if (best) {
    // A more specific template with another method (e.g. POST /points/query vs
    // GET /points/{id}) means the path names that other endpoint: 405, not a match.
    const moreSpecific = routes.some(
      (r) => r.method !== method && r.compiled.literals > best.route.compiled.literals && r.compiled.match(path),
    );
    if (!moreSpecific) return best;
  }
  if (allowed.size > 0) return { status: 405, allowed: [...allowed].sort() };
  return { status: 404 };
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let echoViolations = true;

// Whether each violation is also written to stderr (off with --quiet: a parent
// that pipes stderr without reading it would otherwise block the fakes once
// the pipe is full).
export function setViolationEcho(on) {
  echoViolations = on;
}

// Violations are what a test asserts to be empty: every way the client broke the
// contract (and every place the fake itself produced an undocumented answer).
export class ViolationLog {
  constructor(fakeName) {
    this.fake = fakeName;
    this.entries = [];
    this.seq = 0;
  }

  record({ kind, method, path, route, errors = [], body }) {
    this.seq += 1;
    const entry = {
      seq: this.seq,
      at: new Date().toISOString(),
      fake: this.fake,
      kind,
      method,
      path,
      route: route ?? null,
      errors,
    };
    if (body !== undefined && body !== '') {
      entry.body_excerpt = String(body).slice(0, kBodyExcerptChars);
    }
    this.entries.push(entry);
    if (this.entries.length > kMaxLogEntries) this.entries.shift();
    if (echoViolations) {
      process.stderr.write(`[fake ${this.fake}] VIOLATION ${kind} ${method} ${path}: ${JSON.stringify(errors).slice(0, 500)}\n`);
    }
    return entry;
  }

  clear() {
    this.entries = [];
  }
}

export class RequestLog {
  constructor() {
    this.clear();
  }

  clear() {
    this.total = 0;
    this.byRoute = new Map();
    this.byPath = new Map();
    this.entries = [];
    this.seq = 0;
  }

  begin({ method, path, query, route }) {
    this.total += 1;
    this.seq += 1;
    const routeKey = `${method} ${route ?? '(unknown)'}`;
    const pathKey = `${method} ${path}`;
    this.byRoute.set(routeKey, (this.byRoute.get(routeKey) ?? 0) + 1);
    this.byPath.set(pathKey, (this.byPath.get(pathKey) ?? 0) + 1);
    const entry = {
      seq: this.seq,
      at: new Date().toISOString(),
      method,
      path,
      query,
      route: route ?? null,
      status: null,
      outcome: 'pending',
      fault_id: null,
      duration_ms: null,
    };
    this.entries.push(entry);
    if (this.entries.length > kMaxLogEntries) this.entries.shift();
    return entry;
  }

  countMatching(pattern) {
    const compiled = compileRoutePattern(pattern);
    let n = 0;
    for (const [key, count] of this.byPath) {
      const space = key.indexOf(' ');
      if (compiled.matches(key.slice(0, space), key.slice(space + 1))) n += count;
    }
    return n;
  }

  snapshot({ limit = 200 } = {}) {
    return {
      total: this.total,
      by_route: Object.fromEntries(this.byRoute),
      by_path: Object.fromEntries(this.byPath),
      log: this.entries.slice(-limit),
    };
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > kMaxBodyBytes) {
        reject(new HttpError(413, `request body exceeds ${kMaxBodyBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// A `service` describes one fake:
//   name                               'qdrant' | 'ollama' | ...
//   match(method, path)                {route, params} | {status: 404|405, allowed?}
//   errorBody(status, message, ctx)    the documented error JSON for this backend
//   authenticate(ctx)                  null, or {status, message}
//   control(ctx)                       optional extra /_control/* handler (config, seeding)
//   resetState()                       forget stored data
// and each route: {id, method, template, handler(ctx), validate?(ctx) -> problems[]}
// where a problem is {kind, errors, status?, message?}.
export class FakeServer {
  constructor(service, registry) {
    this.service = service;
    this.registry = registry;
    this.violations = new ViolationLog(service.name);
    this.requests = new RequestLog();
    this.faults = new FaultInjector();
    this.sockets = new Set();
    this.port = null;
    this.isDown = false;
    this.upTimer = null;
    this.closing = null;
    this.server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err) => {
        if (echoViolations) process.stderr.write(`[fake ${service.name}] internal error: ${err.stack}\n`);
        if (!res.headersSent && !res.destroyed) {
          sendJson(res, 500, { error: `fake internal error: ${err.message}` });
        }
      });
    });
    // Keep connections for reuse the way real backends do, and let a hang fault
    // really hang: no server-side request timeout.
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 35_000;
    this.server.requestTimeout = 0;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  close() {
    clearTimeout(this.upTimer);
    this.faults.releaseHung();
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  // "Backend down": stop listening, so new connections are refused, and drop open
  // ones (except `keepSocket`, which carries the control answer and is closed
  // by the caller). The port is kept; `up()` or the `forMs` timer reopens it.
  down(forMs, keepSocket = null) {
    clearTimeout(this.upTimer);
    if (!this.isDown) {
      this.isDown = true;
      this.closing = new Promise((resolve) => this.server.close(() => resolve()));
      this.faults.releaseHung();
      for (const s of this.sockets) if (s !== keepSocket) s.destroy();
    }
    if (forMs !== undefined) this.upTimer = setTimeout(() => this.up().catch(() => {}), forMs);
  }

  async up() {
    clearTimeout(this.upTimer);
    if (!this.isDown) return;
    await this.closing;
    await this.listen(this.port);
    this.isDown = false;
  }

  url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async #handle(req, res) {
    const started = process.hrtime.bigint();
    const url = new URL(req.url, 'http://127.0.0.1');
    const method = req.method.toUpperCase();
    const path = url.pathname;

    let bodyText;
    try {
      bodyText = await readBody(req);
    } catch (err) {
      if (err instanceof HttpError && !res.destroyed) {
        sendJson(res, err.status, this.service.errorBody(err.status, err.message, { path }));
      }
      return;
    }

    if (path === '/_control' || path.startsWith('/_control/')) {
      await this.#control({ req, res, method, path, url, bodyText });
      return;
    }

    const ctx = {
      req,
      res,
      method,
      path,
      url,
      query: url.searchParams,
      headers: req.headers,
      bodyText,
      body: undefined,
      params: {},
      route: null,
      fake: this,
      started,
    };

    const matched = this.service.match(method, path);
    ctx.route = matched.route ?? null;
    ctx.params = matched.params ?? {};
    const logEntry = this.requests.begin({
      method,
      path,
      query: url.search,
      route: ctx.route?.template,
    });
    const finish = (status, outcome) => {
      logEntry.status = status;
      logEntry.outcome = outcome;
      logEntry.duration_ms = Number(process.hrtime.bigint() - started) / 1e6;
    };

    // Violations are recorded before any fault is applied: a broken request is a
    // client bug even when the backend happens to be "down" at the time.
    let problem = null;
    if (!ctx.route) {
      const kind = matched.status === 405 ? 'method_not_allowed' : 'unknown_route';
      this.violations.record({ kind, method, path, errors: matched.allowed ? [{ allowed: matched.allowed }] : [], body: bodyText });
      problem = {
        status: matched.status ?? 404,
        message:
          matched.status === 405
            ? `method ${method} not allowed on ${path}`
            : `no route for ${method} ${path}`,
        headers: matched.allowed ? { allow: matched.allowed.join(', ') } : {},
      };
    } else {
      const problems = ctx.route.validate ? ctx.route.validate(ctx) : [];
      for (const p of problems) {
        this.violations.record({
          kind: p.kind,
          method,
          path,
          route: ctx.route.template,
          errors: p.errors,
          body: bodyText,
        });
      }
      if (problems.length > 0) problem = problems[0];
    }

    const fault = this.faults.take(method, path);
    if (fault) {
      logEntry.fault_id = fault.id;
      if (fault.latencyMs > 0) {
        await sleep(fault.latencyMs);
        if (res.destroyed || req.socket.destroyed) {
          finish(null, 'client_gone');
          return;
        }
      }
      if (fault.action === 'reset') {
        finish(null, 'fault_reset');
        req.socket.resetAndDestroy();
        return;
      }
      if (fault.action === 'hang') {
        finish(null, 'fault_hang');
        this.faults.holdHung(req.socket, fault.id);
        return;
      }
      if (fault.action === 'status') {
        const body =
          fault.body !== undefined
            ? fault.body
            : this.service.errorBody(fault.status, fault.message ?? `injected fault: HTTP ${fault.status}`, ctx);
        finish(fault.status, 'fault_status');
        sendJson(res, fault.status, body, fault.headers);
        return;
      }
    }

    if (problem && problem.status && !ctx.route) {
      finish(problem.status, 'rejected');
      sendJson(res, problem.status, this.service.errorBody(problem.status, problem.message, ctx), problem.headers);
      return;
    }

    const denied = this.service.authenticate ? this.service.authenticate(ctx) : null;
    if (denied) {
      finish(denied.status, 'unauthorized');
      sendJson(res, denied.status, denied.body ?? this.service.errorBody(denied.status, denied.message, ctx), denied.headers);
      return;
    }

    if (problem) {
      const status = problem.status ?? 422;
      finish(status, 'rejected');
      sendJson(
        res,
        status,
        problem.body ?? this.service.errorBody(status, problem.message ?? describeProblem(problem), ctx),
      );
      return;
    }

    let answer;
    try {
      answer = await ctx.route.handler(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      finish(err.status, 'error');
      sendJson(res, err.status, err.body ?? this.service.errorBody(err.status, err.message, ctx), err.headers);
      return;
    }
    if (ctx.route.checkResponse && answer.body !== undefined) {
      const errors = ctx.route.checkResponse(answer.status ?? 200, answer.body);
      if (errors.length > 0) {
        this.violations.record({
          kind: 'fake_response_invalid',
          method,
          path,
          route: ctx.route.template,
          errors,
          body: JSON.stringify(answer.body),
        });
      }
    }
    finish(answer.status ?? 200, 'ok');
    if (answer.text !== undefined) {
      sendText(res, answer.status ?? 200, answer.text, answer.headers);
    } else if (answer.body === undefined) {
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      res.end();
    } else {
      sendJson(res, answer.status ?? 200, answer.body, answer.headers);
    }
  }

  async #control({ req, res, method, path, url, bodyText }) {
    let body = {};
    if (bodyText.trim() !== '') {
      try {
        body = JSON.parse(bodyText);
      } catch (err) {
        sendJson(res, 400, { error: `control body is not JSON: ${err.message}` });
        return;
      }
    }
    const all = url.searchParams.get('all') === '1';
    const targets = all ? this.registry.servers() : [this];
    try {
      const answer = await this.#controlRoute(method, path, url, body, targets, req);
      if (answer === null) {
        sendJson(res, 404, { error: `no control route ${method} ${path}` });
        return;
      }
      // Work that would cut this very connection (taking this fake down) runs
      // once the answer is out.
      if (answer.after) res.once('finish', answer.after);
      sendJson(res, answer.status ?? 200, answer.body);
    } catch (err) {
      sendJson(res, 400, { error: err.message });
    }
  }

  async #controlRoute(method, path, url, body, targets, req) {
    const route = `${method} ${path}`;
    if (route === 'GET /_control/violations') {
      const list = targets.flatMap((t) => t.violations.entries);
      return { body: { count: list.length, violations: list } };
    }
    if (route === 'DELETE /_control/violations') {
      for (const t of targets) t.violations.clear();
      return { body: { cleared: true } };
    }
    if (route === 'GET /_control/requests') {
      const pattern = url.searchParams.get('match');
      if (pattern) return { body: { match: pattern, count: this.requests.countMatching(pattern) } };
      const limit = Number(url.searchParams.get('limit') ?? 200);
      return { body: this.requests.snapshot({ limit }) };
    }
    if (route === 'DELETE /_control/requests') {
      this.requests.clear();
      return { body: { cleared: true } };
    }
    if (route === 'GET /_control/faults') {
      return { body: { faults: this.faults.list() } };
    }
    if (route === 'POST /_control/faults') {
      const specs = Array.isArray(body) ? body : [body];
      const added = specs.map((s) => this.faults.add(s));
      return { status: 201, body: Array.isArray(body) ? { faults: added } : added[0] };
    }
    if (route === 'DELETE /_control/faults') {
      const released = this.faults.clear();
      return { body: { cleared: true, released_hung: released } };
    }
    const one = /^\/_control\/faults\/([^/]+)$/.exec(path);
    if (one && method === 'DELETE') {
      const held = [...this.faults.hung.values()].filter((id) => id === one[1]).length;
      const removed = this.faults.remove(one[1]);
      return removed ? { body: { removed: one[1], released_hung: held } } : { status: 404, body: { error: `no fault ${one[1]}` } };
    }
    if (route === 'POST /_control/reset') {
      for (const t of targets) {
        t.reset({ keepData: body.keep_data === true });
        await t.up();
      }
      return { body: { reset: targets.map((t) => t.service.name) } };
    }
    if (route === 'POST /_control/down' || route === 'POST /_control/up') {
      const name = body.fake ?? this.service.name;
      const target = this.registry.servers().find((s) => s.service.name === name);
      if (!target) return { status: 404, body: { error: `no fake named ${name}` } };
      if (route === 'POST /_control/up') {
        await target.up();
        return { body: { fake: name, url: target.url(), up: true } };
      }
      if (body.for_ms !== undefined && !(Number.isFinite(body.for_ms) && body.for_ms >= 0)) {
        throw new Error('for_ms must be a number >= 0');
      }
      const self = target === this;
      target.down(body.for_ms, self ? req.socket : null);
      const answer = { body: { fake: name, url: target.url(), down: true, for_ms: body.for_ms ?? null } };
      if (self) answer.after = () => req.socket.destroy();
      return answer;
    }
    if (route === 'GET /_control' || route === 'GET /_control/') {
      return { body: { fake: this.service.name, url: this.url() } };
    }
    if (this.service.control) return this.service.control(method, path, body, url);
    return null;
  }

  reset({ keepData = false } = {}) {
    this.faults.clear();
    this.violations.clear();
    this.requests.clear();
    if (!keepData && this.service.resetState) this.service.resetState();
  }
}

function describeProblem(problem) {
  const first = problem.errors?.[0];
  if (!first) return problem.kind;
  if (typeof first === 'string') return first;
  return `${first.instancePath || '/'} ${first.message ?? ''}`.trim();
}

export function sendJson(res, status, body, headers = {}) {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res, status, text, headers = {}) {
  if (res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// Shared helpers for the route `validate` hooks.
export function isJsonContentType(headers) {
  const ct = String(headers['content-type'] ?? '').toLowerCase();
  return ct.split(';')[0].trim() === 'application/json';
}

// Parses ctx.bodyText into ctx.body; returns a problem or null.
export function parseJsonBody(ctx, { requireContentType = true, required = true } = {}) {
  if (ctx.bodyText.trim() === '') {
    if (!required) return null;
    return { kind: 'missing_body', errors: ['request body is required (application/json)'], status: 400, message: 'Empty request body' };
  }
  if (requireContentType && !isJsonContentType(ctx.headers)) {
    return {
      kind: 'content_type',
      errors: [`content-type must be application/json, got ${JSON.stringify(ctx.headers['content-type'] ?? null)}`],
      status: 400,
      message: 'Content type error: expected application/json',
    };
  }
  try {
    ctx.body = JSON.parse(ctx.bodyText);
  } catch (err) {
    return { kind: 'invalid_json', errors: [err.message], status: 400, message: `Format error in JSON body: ${err.message}` };
  }
  return null;
}

// Returns true when `a` and `b` are the same secret, in constant time.
export function sameSecret(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i += 1) diff |= x[i] ^ y[i];
  return diff === 0;
}

export function bearerToken(headers) {
  const m = /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ''));
  return m ? m[1].trim() : null;
}
