#include "shield/transport/wire.hpp"

#include <algorithm>

namespace shield::transport {
namespace {

const mcp::Json* meta_of(const mcp::Json& message) {
  if (!message.is_object()) return nullptr;
  auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return nullptr;
  auto meta = params->find("_meta");
  if (meta == params->end() || !meta->is_object()) return nullptr;
  return &*meta;
}

}  // namespace

std::optional<std::string> meta_protocol_version(const mcp::Json& message) {
  const auto* meta = meta_of(message);
  if (meta == nullptr) return std::nullopt;
  auto version = meta->find(kMetaProtocolVersion);
  if (version == meta->end() || !version->is_string()) return std::nullopt;
  return version->get<std::string>();
}

Wire detect_wire(bool has_session_id, std::optional<std::string_view> protocol_header,
                 const mcp::Json& body, const std::vector<std::string>& session_versions) {
  if (has_session_id) return Wire::kSession;
  if (protocol_header) {
    const bool session_revision = std::find(session_versions.begin(), session_versions.end(),
                                            *protocol_header) != session_versions.end();
    return session_revision ? Wire::kSession : Wire::kStateless;
  }
  if (!body.is_object()) return Wire::kSession;
  auto method = body.find("method");
  if (method != body.end() && method->is_string() && *method == "initialize") {
    return Wire::kSession;
  }
  const auto* meta = meta_of(body);
  if (meta != nullptr && meta->contains(kMetaProtocolVersion)) return Wire::kStateless;
  return Wire::kSession;
}

}  // namespace shield::transport
