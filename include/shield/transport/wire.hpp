#pragma once
// Which of the two wires a POST to /mcp speaks. One endpoint serves both: the legacy
// session wire (2025-03-26 .. 2025-11-25: initialize, Mcp-Session-Id) and the stateless
// wire of 2026-07-28 (every request carries its revision in `_meta`, no session).
// Decided from the headers and the raw body before anything is validated, so a malformed
// request still gets its errors in the shape of the wire it meant to speak.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shield/mcp/tool.hpp"

namespace shield::transport {

enum class Wire { kSession, kStateless };

inline constexpr std::string_view kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kMetaClientCapabilities =
    "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view kMetaClientInfo = "io.modelcontextprotocol/clientInfo";

// `session_versions`: the revisions that speak the session wire. The session wire when a
// session id is present, or the MCP-Protocol-Version header names a session revision, or
// (no header) the body is an initialize request, a batch, or carries no `_meta` protocol
// version. Everything else, including unknown header versions, is stateless: that wire
// has the error (-32022, listing what is supported) a client of a newer revision expects.
Wire detect_wire(bool has_session_id, std::optional<std::string_view> protocol_header,
                 const mcp::Json& body, const std::vector<std::string>& session_versions);

// params._meta["io.modelcontextprotocol/protocolVersion"] when it is a string.
std::optional<std::string> meta_protocol_version(const mcp::Json& message);

}  // namespace shield::transport
