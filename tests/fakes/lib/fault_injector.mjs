// Per-route fault injection for the fakes. A fault is installed through
// `POST /_control/faults` and applies to requests whose method and path match
// its route pattern (see compileRoutePattern). Faults are checked in the order
// they were added; the first one that matches a request handles it.
//
// Spec (JSON):
//   route        "POST /collections/*/points/query"  (required; `*` = one segment,
//                `**` = any remainder, method may be `*`)
//   latency_ms   added delay before anything else happens (alone = just slow)
//   status       answer with this HTTP status and the backend's documented error body
//   body         optional JSON body to send instead of the documented error body
//   headers      optional extra response headers (e.g. {"retry-after": "3"})
//   message      optional error message placed in the documented error body
//   reset        true: destroy the connection with a TCP RST, no answer
//   hang         true: never answer (the socket is held until the fault is cleared
//                or POST /_control/reset)
//   flap         {fail: N, ok: M, status?|reset?|hang?}: N failing requests, then M
//                passing ones, repeating; the failure defaults to status 503
//   times        apply to this many matching requests, then remove the fault
//
// Exactly one of status | reset | hang | flap may be given; with none of them
// the fault only adds latency.


export class FaultInjector {
  constructor() {
    this.faults = [];
    this.nextId = 1;
    this.hung = new Map();
  }

  add(spec) {
    if (!spec || typeof spec !== 'object') throw new Error('fault spec must be a JSON object');
    if (typeof spec.route !== 'string' || spec.route.trim() === '') {
      throw new Error('fault spec needs "route", e.g. "POST /collections/*/points/query"');
    }
    const known = new Set(['route', 'latency_ms', 'status', 'body', 'headers', 'message', 'reset', 'hang', 'flap', 'times']);
    for (const key of Object.keys(spec)) {
      if (!known.has(key)) throw new Error(`unknown fault field "${key}"`);
    }
    const actions = ['status', 'reset', 'hang', 'flap'].filter((k) => spec[k] !== undefined && spec[k] !== false);
    if (actions.length > 1) throw new Error(`give only one of status|reset|hang|flap (got ${actions.join(', ')})`);
    const latencyMs = spec.latency_ms ?? 0;
    if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error('latency_ms must be a number >= 0');
    if (actions.length === 0 && latencyMs === 0) throw new Error('fault does nothing: give latency_ms, status, reset, hang or flap');
    if (spec.status !== undefined) checkStatus(spec.status);
    if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times > 0)) {
      throw new Error('times must be a positive integer');
    }
    let flap = null;
    if (spec.flap !== undefined) {
      const f = spec.flap;
      if (!f || !Number.isInteger(f.fail) || !Number.isInteger(f.ok) || f.fail < 0 || f.ok < 0 || f.fail + f.ok === 0) {
        throw new Error('flap needs integers {fail >= 0, ok >= 0}, not both 0');
      }
      const failActions = ['status', 'reset', 'hang'].filter((k) => f[k] !== undefined && f[k] !== false);
      if (failActions.length > 1) throw new Error('flap takes only one of status|reset|hang');
      if (f.status !== undefined) checkStatus(f.status);
      flap = { fail: f.fail, ok: f.ok, action: failActions[0] ?? 'status', status: f.status ?? 503 };
    }
    const fault = {
      id: String(this.nextId++),
      route: spec.route,
      matcher: compileRoutePattern(spec.route),
      latencyMs,
      action: actions[0] ?? 'latency',
      status: spec.status,
      body: spec.body,
      headers: spec.headers ?? {},
      message: spec.message,
      flap,
      timesLeft: spec.times ?? null,
      seen: 0,
      applied: 0,
    };
    this.faults.push(fault);
    return describe(fault);
  }

  // Returns what to do with this request, or null to serve it normally. Counts the
  // request against the matching fault's `times` and flap cycle.
  take(method, path) {
    const fault = this.faults.find((f) => f.matcher.matches(method, path));
    if (!fault) return null;
    const index = fault.seen;
    fault.seen += 1;
    if (fault.timesLeft !== null) {
      fault.timesLeft -= 1;
      if (fault.timesLeft <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    }
    let action = fault.action;
    let status = fault.status;
    if (fault.flap) {
      const period = fault.flap.fail + fault.flap.ok;
      const failing = index % period < fault.flap.fail;
      if (!failing) return { id: fault.id, latencyMs: fault.latencyMs, action: 'pass' };
      action = fault.flap.action;
      status = fault.flap.status;
    }
    fault.applied += 1;
    return {
      id: fault.id,
      latencyMs: fault.latencyMs,
      action,
      status,
      body: fault.body,
      headers: fault.headers,
      message: fault.message,
    };
  }

  holdHung(socket, faultId) {
    this.hung.set(socket, faultId);
    socket.once('close', () => this.hung.delete(socket));
  }

  // Closes the connections held by hang faults (all, or only those of `faultId`).
  releaseHung(faultId = null) {
    let n = 0;
    for (const [socket, id] of this.hung) {
      if (faultId !== null && id !== faultId) continue;
      socket.destroy();
      this.hung.delete(socket);
      n += 1;
    }
    return n;
  }

  remove(id) {
    const i = this.faults.findIndex((f) => f.id === id);
    if (i < 0) return false;
    this.faults.splice(i, 1);
    this.releaseHung(id);
    return true;
  }

  clear() {
    this.faults = [];
    return this.releaseHung();
  }

  list() {
    return this.faults.map(describe);
  }
}

function checkStatus(status) {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new Error('status must be an HTTP status code (100-599)');
  }
}

function describe(f) {
  return {
    id: f.id,
    route: f.route,
    action: f.action,
    latency_ms: f.latencyMs,
    status: f.status ?? null,
    flap: f.flap,
    times_left: f.timesLeft,
    seen: f.seen,
    applied: f.applied,
  };
}

// Fault routes and request-count queries use globs: `*` is one path segment,
// `**` is any remainder, `{x}` is treated like `*`. The method may be `*`.
export function compileRoutePattern(pattern) {
  const text = String(pattern).trim();
  const space = text.indexOf(' ');
  const method = space < 0 ? '*' : text.slice(0, space).toUpperCase();
  const path = space < 0 ? text : text.slice(space + 1).trim();
  if (!path.startsWith('/') && path !== '*' && path !== '**') {
    throw new Error(`route pattern path must start with '/': ${pattern}`);
  }
  let rx;
  if (path === '*' || path === '**') {
    rx = /^.*$/;
  } else {
    const body = path
      .split('/')
      .map((seg) => {
        if (seg === '**') return '.*';
        if (seg === '*' || /^\{[^}]+\}$/.test(seg)) return '[^/]+';
        return seg.split('*').map(escapeRegex).join('[^/]*');
      })
      .join('/');
    rx = new RegExp(`^${body}$`);
  }
  return {
    source: `${method} ${path}`,
    matches(reqMethod, reqPath) {
      return (method === '*' || method === reqMethod) && rx.test(reqPath);
    },
  };
}

export function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
