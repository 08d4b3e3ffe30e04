#pragma once
// The JSON error answers the server and the router give on their own (limits, policy,
// unknown routes), so every rejection a client sees has the same shape and escaping.
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "shield/http/exchange.hpp"
#include "shield/util/error.hpp"

namespace shield::http::detail {

// A JSON response with Content-Type application/json and `Cache-Control: no-store`.
// Content-Length is set; keep-alive is left to the caller.
Response json_response(boost::beast::http::status status, unsigned version, std::string body);

// {"jsonrpc":"2.0","id":null,"error":{"code":CODE,"message":MESSAGE}}: what MCP clients
// parse when the transport layer refuses them before any JSON-RPC handling.
std::string json_rpc_error_body(int code, std::string_view message);

// {"error":{"code":"not_found","message":...}} for answers outside JSON-RPC.
std::string error_body(ErrorCode code, std::string_view message);

// A header value made safe to quote in a message: at most `limit` bytes, with control
// characters replaced, since it comes straight from the peer.
std::string quote_header_value(std::string_view value, std::size_t limit = 200);

}  // namespace shield::http::detail
