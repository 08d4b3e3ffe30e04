// Raw MCP-over-HTTP helpers: exact control over headers and bodies, for protocol tests that
// an SDK client would smooth over.
import net from 'node:net';

export const LEGACY = '2025-11-25';
export const ACCEPT_BOTH = 'application/json, text/event-stream';

export async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: parseBody(res.headers, text) };
}

// JSON body, or the JSON-RPC messages of an SSE body (last one with an id = the response).
export function parseBody(headers, text) {
  const type = headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    const messages = [];
    for (const block of text.split(/\r?\n\r?\n/)) {
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) messages.push(JSON.parse(data));
    }
    return { sse: messages, response: messages.findLast((m) => 'id' in m && !('method' in m)) };
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function initializeRequest(version = LEGACY, id = 1) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: version,
      capabilities: {},
      clientInfo: { name: 'shield-integration-test', version: '1.0.0' },
    },
  };
}

// initialize + notifications/initialized; returns { sessionId, version, headers(extra) }.
export async function openSession(url, version = LEGACY, extraHeaders = {}) {
  const init = await post(url, initializeRequest(version), extraHeaders);
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${init.text}`);
  const sessionId = init.headers.get('mcp-session-id');
  const result = init.json?.result ?? init.json?.response?.result;
  const headers = {
    'mcp-session-id': sessionId,
    'mcp-protocol-version': result.protocolVersion,
    ...extraHeaders,
  };
  const ack = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}`);
  return { sessionId, version: result.protocolVersion, result, headers };
}

// Sends raw bytes on a TCP connection and collects everything until the server closes it
// or `timeoutMs` passes. Returns { data, closedByServer, elapsedMs }.
export function rawExchange(address, chunks, { timeoutMs = 5000, gapMs = 0 } = {}) {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host, port });
    let data = '';
    let done = false;
    const finish = (closedByServer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closedByServer, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d) => (data += d));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (e) => (done ? undefined : e.code === 'ECONNRESET' ? finish(true) : reject(e)));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

export function splitAddress(address) {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}
