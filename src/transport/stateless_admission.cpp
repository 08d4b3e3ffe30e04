#include "shield/transport/stateless_admission.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "shield/mcp/json_rpc.hpp"
#include "shield/transport/media_types.hpp"
#include "shield/transport/wire.hpp"
#include "shield/util/base64.hpp"

namespace shield::transport {
namespace {

using mcp::Json;

std::optional<std::string_view> header(const http::Request& request, std::string_view name) {
  auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return trim_ows(it->value());
}

Rejection mismatch(const Json& id, std::string message) {
  return Rejection{400, mcp::make_error(id, mcp::kHeaderMismatch, std::move(message))};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// Whether a (decoded) Mcp-Param value spells the body value: strings exactly, booleans as
// true/false, integers in decimal, other numbers within 1e-9.
bool header_matches(std::string_view header_value, const Json& body_value) {
  if (body_value.is_string()) return header_value == body_value.get_ref<const std::string&>();
  if (body_value.is_boolean()) return header_value == (body_value.get<bool>() ? "true" : "false");
  if (body_value.is_number_integer() || body_value.is_number_unsigned()) {
    return header_value == body_value.dump();
  }
  if (body_value.is_number_float()) {
    double parsed = 0;
    const auto* end = header_value.data() + header_value.size();
    auto [ptr, ec] = std::from_chars(header_value.data(), end, parsed);
    if (ec != std::errc{} || ptr != end) return false;
    return std::fabs(parsed - body_value.get<double>()) <= 1e-9;
  }
  return true;
}

std::optional<Rejection> check_param_headers(const http::Request& request, const Json& message,
                                             const Json& id, const mcp::Registry& registry) {
  const auto& params = message["params"];
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) return std::nullopt;
  const auto* tool = registry.find_tool(name->get<std::string>());
  if (tool == nullptr || !tool->input_schema.is_object()) return std::nullopt;
  auto properties = tool->input_schema.find("properties");
  if (properties == tool->input_schema.end() || !properties->is_object()) return std::nullopt;
  auto arguments = params.find("arguments");
  if (arguments == params.end() || !arguments->is_object()) return std::nullopt;

  for (const auto& [property, schema] : properties->items()) {
    if (!schema.is_object()) continue;
    auto marker = schema.find("x-mcp-header");
    if (marker == schema.end() || !marker->is_string() ||
        marker->get_ref<const std::string&>().empty()) {
      continue;
    }
    auto value = arguments->find(property);
    if (value == arguments->end() || value->is_null() || value->is_object() || value->is_array()) {
      continue;
    }
    const std::string header_name = "Mcp-Param-" + marker->get<std::string>();
    auto sent = header(request, header_name);
    if (!sent) {
      return mismatch(id, "Missing " + header_name + " header: tool '" + name->get<std::string>() +
                              "' mirrors argument '" + property + "' into it");
    }
    std::string decoded(*sent);
    constexpr std::string_view kPrefix = "=?base64?";
    constexpr std::string_view kSuffix = "?=";
    if (sent->size() >= kPrefix.size() + kSuffix.size() && sent->starts_with(kPrefix) &&
        sent->ends_with(kSuffix)) {
      auto payload = sent->substr(kPrefix.size(), sent->size() - kPrefix.size() - kSuffix.size());
      auto bytes = decode_base64_strict(payload);
      if (!bytes) {
        return mismatch(id, header_name + " header is not valid Base64 inside =?base64?...?=");
      }
      decoded = std::move(*bytes);
    }
    if (!header_matches(decoded, *value)) {
      return mismatch(
          id, header_name + " header does not match arguments." + property + " in the body");
    }
  }
  return std::nullopt;
}

}  // namespace

tl::expected<std::string, Rejection> admit_stateless(
    const http::Request& request, const Json& message, const mcp::Registry& registry,
    const std::vector<std::string>& stateless_versions) {
  const Json id = message.is_object() && message.contains("id") ? message["id"] : Json(nullptr);
  const bool is_request = message.is_object() && message.contains("id");
  const std::string method =
      message.is_object() && message.contains("method") && message["method"].is_string()
          ? message["method"].get<std::string>()
          : std::string{};
  const auto protocol_header = header(request, "MCP-Protocol-Version");

  if (!method.empty()) {
    auto method_header = header(request, "Mcp-Method");
    if (!method_header) {
      return tl::unexpected(mismatch(id,
                                     "Missing Mcp-Method header: on 2026-07-28 every request "
                                     "names its method in Mcp-Method"));
    }
    if (*method_header != method) {
      return tl::unexpected(mismatch(id, "Mcp-Method header '" + std::string(*method_header) +
                                             "' does not match the body's method '" + method +
                                             "'"));
    }
    const Json empty = Json::object();
    const Json& params =
        message.contains("params") && message["params"].is_object() ? message["params"] : empty;
    const char* name_field = nullptr;
    if (method == "tools/call" || method == "prompts/get") name_field = "name";
    if (method == "resources/read") name_field = "uri";
    // The tasks extension (SEP-2663) routes task calls by the task they name, too.
    if (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel") {
      name_field = "taskId";
    }
    if (name_field != nullptr && params.contains(name_field) && params[name_field].is_string()) {
      const auto& expected = params[name_field].get_ref<const std::string&>();
      auto name_header = header(request, "Mcp-Name");
      if (!name_header) {
        return tl::unexpected(mismatch(id, std::string("Missing Mcp-Name header: ") + method +
                                               " must mirror params." + name_field + " in it"));
      }
      if (*name_header != expected) {
        return tl::unexpected(mismatch(id, "Mcp-Name header '" + std::string(*name_header) +
                                               "' does not match params." + name_field + " '" +
                                               expected + "'"));
      }
    }
  }

  const auto meta_version = meta_protocol_version(message);
  if (is_request) {
    const Json* meta = nullptr;
    if (message.contains("params") && message["params"].is_object() &&
        message["params"].contains("_meta") && message["params"]["_meta"].is_object()) {
      meta = &message["params"]["_meta"];
    }
    std::string missing;
    if (meta == nullptr || !meta_version) missing = std::string(kMetaProtocolVersion);
    if (meta == nullptr || !meta->contains(kMetaClientCapabilities) ||
        !(*meta)[kMetaClientCapabilities].is_object()) {
      missing += (missing.empty() ? "" : ", ") + std::string(kMetaClientCapabilities);
    }
    if (!missing.empty()) {
      return tl::unexpected(
          Rejection{400, mcp::make_error(id, mcp::kInvalidParams,
                                         "Invalid params: params._meta must carry " + missing +
                                             " on every 2026-07-28 request")});
    }
  }

  if (!protocol_header) {
    return tl::unexpected(mismatch(id,
                                   "Missing MCP-Protocol-Version header: it must repeat "
                                   "the revision in params._meta"));
  }
  if (meta_version && *meta_version != *protocol_header) {
    return tl::unexpected(
        mismatch(id, "MCP-Protocol-Version header '" + std::string(*protocol_header) +
                         "' does not match params._meta protocol version '" + *meta_version + "'"));
  }
  const std::string version = meta_version ? *meta_version : std::string(*protocol_header);
  if (std::find(stateless_versions.begin(), stateless_versions.end(), version) ==
      stateless_versions.end()) {
    return tl::unexpected(Rejection{
        400,
        mcp::make_error(id, mcp::kUnsupportedProtocolVersion,
                        "Unsupported protocol version '" + version + "'; this server supports " +
                            joined(stateless_versions) + " without a session",
                        Json{{"requested", version}, {"supported", stateless_versions}})});
  }
  if (method == "tools/call") {
    if (auto rejected = check_param_headers(request, message, id, registry)) {
      return tl::unexpected(std::move(*rejected));
    }
  }
  return version;
}

unsigned stateless_http_status(const Json& response) {
  if (!response.is_object() || !response.contains("error")) return 200;
  const auto& error = response["error"];
  if (!error.is_object() || !error.contains("code") || !error["code"].is_number_integer()) {
    return 200;
  }
  switch (error["code"].get<int>()) {
    case mcp::kMethodNotFound:
      return 404;
    case mcp::kParseError:
    case mcp::kInvalidRequest:
    case mcp::kHeaderMismatch:
    case mcp::kMissingRequiredClientCapability:
    case mcp::kUnsupportedProtocolVersion:
      return 400;
    default:
      return 200;
  }
}

}  // namespace shield::transport
