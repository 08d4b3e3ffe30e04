#pragma once
// JSON-RPC 2.0 as MCP uses it: bounded parsing, message classification, error codes and
// response builders. Pure functions, safe from any thread.
//
// Errors: parse_json() returns kInvalidArgument for text that is not JSON (→ -32700) and
// kResourceExhausted for text over the size or nesting bound (→ -32600); error_response_for()
// turns either into the full JSON-RPC error a transport sends back (id null).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shield/mcp/tool.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

// JSON-RPC 2.0 codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// MCP codes. Resource-not-found is the legacy revisions' code (data: {uri}).
inline constexpr int kResourceNotFound = -32002;
// 2026-07-28: the HTTP headers disagree with the body, or are missing (HTTP 400).
inline constexpr int kHeaderMismatch = -32020;
// 2026-07-28: the request needs a client capability absent from its clientCapabilities
// (data: {requiredCapabilities}; HTTP 400).
inline constexpr int kMissingRequiredClientCapability = -32021;
// 2026-07-28: the request's protocol version is unknown or unsupported
// (data: {requested, supported}; HTTP 400).
inline constexpr int kUnsupportedProtocolVersion = -32022;

inline constexpr std::size_t kDefaultMaxMessageBytes = std::size_t{4} * 1024 * 1024;
inline constexpr std::size_t kDefaultMaxDepth = 64;

// Parses one JSON text. Depth counts nested arrays/objects; the outermost one is depth 1.
// Depth is checked before parsing, so hostile nesting never reaches the recursive parts
// of the JSON library.
Result<Json> parse_json(std::string_view text, std::size_t max_bytes = kDefaultMaxMessageBytes,
                        std::size_t max_depth = kDefaultMaxDepth);

// The JSON-RPC error answer for a parse_json() failure: -32700 for malformed JSON,
// -32600 for a message over a bound. The id is null (it could not be read).
Json error_response_for(const Error& parse_error);

enum class MessageKind { kRequest, kNotification, kResponse, kInvalid };

struct Classified {
  MessageKind kind = MessageKind::kInvalid;
  // The id to answer with: the request's own, or null when it is missing or unusable.
  Json id = nullptr;
  // For kInvalid: why (goes into the -32600 message).
  std::string problem;
};

// Sorts one message (not a batch: transports split batches themselves).
// A request has a string `method` and an id that is a string or an integer; a notification
// has a method and no id; a response has `result` or `error` and an id. `jsonrpc` must be
// exactly "2.0". Anything else is kInvalid and deserves -32600 with `id`.
Classified classify(const Json& message);

// True for ids JSON-RPC allows here: strings and integers (fractions are refused).
bool is_valid_id(const Json& id);

// The key a session files an in-flight request under: the id serialised, so 1 and "1"
// stay distinct.
std::string request_key(const Json& id);

Json make_result(const Json& id, Json result);
// `data` is left out when null.
Json make_error(const Json& id, int code, std::string message, Json data = nullptr);
Json make_notification(std::string method, Json params);

// The HTTP status a 2026-07-28 (stateless) response travels with: 200 for results, 404 for
// -32601 (unknown or removed method), 500 for -32603, 400 for every other error (-32020,
// -32021, -32022, -32602, -32600, -32700, -32002). Legacy revisions answer 200 whatever
// the JSON-RPC outcome.
unsigned stateless_http_status(const Json& response);

}  // namespace shield::mcp
