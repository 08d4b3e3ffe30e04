#pragma once
// The checks a 2026-07-28 (stateless) message passes before the engine sees it, and the
// HTTP status its answer travels with. Pure functions of the request, safe from any thread.
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "shield/http/exchange.hpp"
#include "shield/mcp/registry.hpp"
#include "shield/mcp/tool.hpp"

namespace shield::transport {

// A request refused before dispatch: the HTTP status and the full JSON-RPC error response
// (carrying the request's id when it has one).
struct Rejection {
  unsigned status = 400;
  mcp::Json response;
};

// Checks, in this order, and returns the request's revision when all pass:
//  1. Mcp-Method is present and equals the body's method (-32020; values compare exactly,
//     after trimming optional whitespace; header names are case-insensitive);
//  2. Mcp-Name for tools/call and prompts/get (params.name) and resources/read (params.uri);
//  3. for requests: `_meta` carries the protocol version and the client capabilities
//     (-32602, HTTP 400);
//  4. MCP-Protocol-Version equals the `_meta` version (-32020);
//  5. that version is one of `stateless_versions` (-32022, data {requested, supported});
//  6. Mcp-Param-<Name> for every argument of a tools/call whose input schema marks it with
//     `x-mcp-header`, literal or as "=?base64?...?=" (-32020).
// The order is the one clients can act on: a request with several faults hears about the
// first the spec lists.
// `registry` supplies the tools' input schemas for step 3.
tl::expected<std::string, Rejection> admit_stateless(
    const http::Request& request, const mcp::Json& message, const mcp::Registry& registry,
    const std::vector<std::string>& stateless_versions);

// The HTTP status of a JSON-RPC answer on the stateless wire: 404 for -32601 (so a client
// can tell "no such method" from "no MCP here"), 400 for -32700, -32600, -32020, -32021
// and -32022, 200 for results and for every other error (tool and resource errors are
// answers, not transport failures).
unsigned stateless_http_status(const mcp::Json& response);

}  // namespace shield::transport
