// Loads the pinned TypeScript SDK from tests/node/node_modules (outside this folder's
// resolution path), through its CommonJS build.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const modules =
  process.env.SHIELD_NODE_MODULES ?? join(import.meta.dirname, '..', '..', 'node', 'node_modules');
const require = createRequire(join(modules, 'noop.js'));

export const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
export const { StreamableHTTPClientTransport } = require(
  '@modelcontextprotocol/sdk/client/streamableHttp.js',
);
export const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
export const types = require('@modelcontextprotocol/sdk/types.js');
export const nodeModules = modules;
