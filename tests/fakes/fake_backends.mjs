#!/usr/bin/env node
// Serves fake Qdrant, Ollama, orchestrator and LightRAG backends on 127.0.0.1 for
// shield-mcp's integration, chaos and benchmark runs. See tests/fakes/README.md.
//
//   node tests/fakes/fake_backends.mjs --qdrant 0 --ollama 0 --orchestrator 0 --lightrag 0
//
// Prints one JSON line once every requested fake listens, e.g.
//   {"qdrant":"http://127.0.0.1:41233","ollama":"http://127.0.0.1:41234",...}
// and runs until SIGTERM/SIGINT, or until its stdin closes when stdin is a pipe
// (so a test runner that dies does not leave it behind).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FakeServer, setViolationEcho } from './lib/http_util.mjs';
import { OpenApiSpec, SchemaFile, defaultSpecsDir } from './lib/spec_validator.mjs';
import { createQdrant } from './lib/qdrant.mjs';
import { createOllama, kDefaultOllamaModels } from './lib/ollama.mjs';
import { createOrchestrator } from './lib/orchestrator.mjs';
import { createLightrag } from './lib/lightrag.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemasDir = path.join(here, 'schemas');

const kUsage = `usage: fake_backends.mjs [--qdrant PORT] [--ollama PORT] [--orchestrator PORT] [--lightrag PORT]
                         [--api-key-qdrant K] [--api-key-lightrag K] [--api-key-ollama K] [--api-key-orchestrator K]
                         [--ollama-models name=dims[:context],...] [--job-polls N]
                         [--specs-dir DIR] [--allow-unknown-fields] [--no-response-check] [--no-stdin-watch] [--quiet]
PORT 0 picks a free port. At least one fake must be requested.`;

function parseModels(text) {
  const out = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(\d+)(?::(\d+))?$/.exec(part);
    if (!m) throw new Error(`--ollama-models: cannot parse "${part}" (want name=dims[:context])`);
    out[m[1]] = { dims: Number(m[2]), context: m[3] ? Number(m[3]) : 2048 };
  }
  return out;
}

function parsePort(name, value) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name}: not a port: ${value}`);
  return n;
}

export async function startFakes(options) {
  const specsDir = options.specsDir ?? defaultSpecsDir();
  const strictUnknownFields = !options.allowUnknownFields;
  const checkResponses = !options.noResponseCheck;
  const servers = [];
  const registry = { servers: () => servers };
  const urls = {};

  const add = async (key, port, service) => {
    const server = new FakeServer(service, registry);
    servers.push(server);
    await server.listen(port);
    urls[key] = server.url();
  };

  const polls = options.jobPolls;
  if (options.qdrant !== undefined) {
    const spec = new OpenApiSpec(path.join(specsDir, 'qdrant', 'openapi.json'), { strictUnknownFields });
    await add('qdrant', options.qdrant, createQdrant({ spec, apiKey: options.apiKeyQdrant, checkResponses }));
  }
  if (options.ollama !== undefined) {
    const spec = new OpenApiSpec(path.join(specsDir, 'ollama', 'openapi.yaml'), { strictUnknownFields });
    const openai = new SchemaFile(path.join(schemasDir, 'openai_embeddings.json'), { strictUnknownFields });
    await add(
      'ollama',
      options.ollama,
      createOllama({ spec, openai, models: options.ollamaModels ?? kDefaultOllamaModels, apiKey: options.apiKeyOllama, checkResponses }),
    );
  }
  if (options.orchestrator !== undefined) {
    const schemas = new SchemaFile(path.join(schemasDir, 'orchestrator.json'), { strictUnknownFields });
    const config = polls === undefined ? {} : { polls_queued: polls, polls_running: polls };
    await add('orchestrator', options.orchestrator, createOrchestrator({ schemas, apiKey: options.apiKeyOrchestrator, config, checkResponses }));
  }
  if (options.lightrag !== undefined) {
    const schemas = new SchemaFile(path.join(schemasDir, 'lightrag.json'), { strictUnknownFields });
    const config = polls === undefined ? {} : { polls_pending: polls, polls_processing: polls };
    await add('lightrag', options.lightrag, createLightrag({ schemas, apiKey: options.apiKeyLightrag, config, checkResponses }));
  }
  return {
    urls,
    servers,
    close: () => Promise.all(servers.map((s) => s.close())),
  };
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        qdrant: { type: 'string' },
        ollama: { type: 'string' },
        orchestrator: { type: 'string' },
        lightrag: { type: 'string' },
        'api-key-qdrant': { type: 'string' },
        'api-key-lightrag': { type: 'string' },
        'api-key-ollama': { type: 'string' },
        'api-key-orchestrator': { type: 'string' },
        'ollama-models': { type: 'string' },
        'job-polls': { type: 'string' },
        'specs-dir': { type: 'string' },
        'allow-unknown-fields': { type: 'boolean' },
        'no-response-check': { type: 'boolean' },
        'no-stdin-watch': { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${err.message}\n${kUsage}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${kUsage}\n`);
    return;
  }
  let options;
  try {
    options = {
      qdrant: parsePort('qdrant', args.qdrant),
      ollama: parsePort('ollama', args.ollama),
      orchestrator: parsePort('orchestrator', args.orchestrator),
      lightrag: parsePort('lightrag', args.lightrag),
      apiKeyQdrant: args['api-key-qdrant'] ?? null,
      apiKeyLightrag: args['api-key-lightrag'] ?? null,
      apiKeyOllama: args['api-key-ollama'] ?? null,
      apiKeyOrchestrator: args['api-key-orchestrator'] ?? null,
      ollamaModels: args['ollama-models'] ? parseModels(args['ollama-models']) : undefined,
      jobPolls: args['job-polls'] === undefined ? undefined : Number(args['job-polls']),
      specsDir: args['specs-dir'],
      allowUnknownFields: args['allow-unknown-fields'] ?? false,
      noResponseCheck: args['no-response-check'] ?? false,
    };
    if (options.jobPolls !== undefined && !(Number.isInteger(options.jobPolls) && options.jobPolls >= 0)) {
      throw new Error('--job-polls must be an integer >= 0');
    }
    if ([options.qdrant, options.ollama, options.orchestrator, options.lightrag].every((p) => p === undefined)) {
      throw new Error('no fake requested');
    }
  } catch (err) {
    process.stderr.write(`${err.message}\n${kUsage}\n`);
    process.exit(2);
  }

  const quiet = args.quiet ?? false;
  setViolationEcho(!quiet);
  const fakes = await startFakes(options);
  let closing = false;
  const shutdown = async (why) => {
    if (closing) return;
    closing = true;
    if (!quiet) process.stderr.write(`[fakes] shutting down (${why})\n`);
    const timer = setTimeout(() => process.exit(0), 2000);
    timer.unref();
    await fakes.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  if (!args['no-stdin-watch']) {
    const st = fs.fstatSync(0);
    if (st.isFIFO() || st.isSocket()) {
      process.stdin.on('end', () => shutdown('stdin closed'));
      process.stdin.on('close', () => shutdown('stdin closed'));
      process.stdin.on('error', () => shutdown('stdin error'));
      process.stdin.resume();
    }
  }

  process.stdout.write(`${JSON.stringify(fakes.urls)}\n`);
  if (!quiet) process.stderr.write(`[fakes] listening: ${Object.entries(fakes.urls).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`[fakes] failed to start: ${err.stack}\n`);
    process.exit(1);
  });
}
