#pragma once
// The MCP revisions this server speaks and what differs between them. Revisions are dated
// strings ("2025-06-18"), so comparing them as strings orders them in time.
// Pure functions over constants: safe from any thread.
#include <string>
#include <string_view>
#include <vector>

namespace shield::mcp {

inline constexpr std::string_view kVersion20250326 = "2025-03-26";
inline constexpr std::string_view kVersion20250618 = "2025-06-18";
inline constexpr std::string_view kVersion20251125 = "2025-11-25";
inline constexpr std::string_view kVersion20260728 = "2026-07-28";

// Oldest first.
const std::vector<std::string>& supported_protocol_versions();
// The newest revision of all (stateless).
const std::string& latest_protocol_version();
// The newest revision that has the initialize handshake and sessions.
const std::string& latest_session_protocol_version();

bool is_supported_protocol_version(std::string_view version);
// 2026-07-28 and later: no initialize, no session; every request carries its `_meta`.
bool is_stateless_protocol_version(std::string_view version);
// What initialize answers: the requested revision when it is one we speak with sessions,
// else our newest session revision (the client then decides whether it can go on).
std::string negotiate_protocol_version(std::string_view requested);

// Features that appeared in a given revision.
bool has_titles_and_structured_output(std::string_view version);  // 2025-06-18+
bool has_tool_execution(std::string_view version);                // 2025-11-25+

}  // namespace shield::mcp
