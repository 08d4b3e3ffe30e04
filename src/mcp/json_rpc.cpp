#include "shield/mcp/json_rpc.hpp"

#include <string>

namespace shield::mcp {
namespace {

// The deepest array/object nesting in `text`, or max_depth + 1 as soon as it is exceeded.
// Brackets inside strings do not count; the scan needs no valid JSON (the parser judges
// that afterwards).
std::size_t nesting_depth(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > max_depth) return deepest;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

}  // namespace

Result<Json> parse_json(std::string_view text, std::size_t max_bytes, std::size_t max_depth) {
  if (text.size() > max_bytes) {
    return fail(ErrorCode::kResourceExhausted, "message of " + std::to_string(text.size()) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(max_bytes) + " bytes");
  }
  if (nesting_depth(text, max_depth) > max_depth) {
    return fail(ErrorCode::kResourceExhausted,
                "message nesting exceeds the limit of " + std::to_string(max_depth) + " levels");
  }
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return fail(ErrorCode::kInvalidArgument, "Parse error: invalid JSON");
  return parsed;
}

Json error_response_for(const Error& parse_error) {
  if (parse_error.code == ErrorCode::kResourceExhausted) {
    return make_error(nullptr, kInvalidRequest, "Invalid Request: " + parse_error.message);
  }
  return make_error(nullptr, kParseError, parse_error.message);
}

bool is_valid_id(const Json& id) {
  return id.is_string() || id.is_number_integer();
}

std::string request_key(const Json& id) {
  return id.dump();
}

Classified classify(const Json& message) {
  Classified out;
  if (!message.is_object()) {
    out.problem = "a JSON-RPC message must be an object";
    return out;
  }
  const auto id_it = message.find("id");
  const bool has_id = id_it != message.end();
  if (has_id && is_valid_id(*id_it)) out.id = *id_it;

  const auto version = message.find("jsonrpc");
  if (version == message.end() || !version->is_string() || *version != "2.0") {
    out.problem = "jsonrpc must be exactly \"2.0\"";
    return out;
  }

  const auto method = message.find("method");
  if (method != message.end()) {
    if (!method->is_string()) {
      out.problem = "method must be a string";
      return out;
    }
    if (!has_id) {
      out.kind = MessageKind::kNotification;
      return out;
    }
    if (!is_valid_id(*id_it)) {
      out.problem = "id must be a string or an integer";
      return out;
    }
    out.kind = MessageKind::kRequest;
    return out;
  }

  const bool has_result = message.contains("result");
  const bool has_error = message.contains("error");
  if (has_result || has_error) {
    if (has_result && has_error) {
      out.problem = "a response carries either result or error, not both";
      return out;
    }
    // An error response may carry id null (the peer could not read ours).
    if (!has_id || !(is_valid_id(*id_it) || (has_error && id_it->is_null()))) {
      out.problem = "a response needs the id of the request it answers";
      return out;
    }
    out.kind = MessageKind::kResponse;
    return out;
  }

  out.problem = "message has neither method nor result/error";
  return out;
}

Json make_result(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

Json make_error(const Json& id, int code, std::string message, Json data) {
  Json error{{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) error["data"] = std::move(data);
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

Json make_notification(std::string method, Json params) {
  return Json{{"jsonrpc", "2.0"}, {"method", std::move(method)}, {"params", std::move(params)}};
}

unsigned stateless_http_status(const Json& response) {
  const auto error = response.find("error");
  if (error == response.end()) return 200;
  const Json code = error->is_object() ? error->value("code", Json()) : Json();
  if (code == kMethodNotFound) return 404;
  if (code == kInternalError) return 500;
  return 400;
}

}  // namespace shield::mcp
