#include "shield/mcp/protocol_version.hpp"

#include <algorithm>

namespace shield::mcp {

const std::vector<std::string>& supported_protocol_versions() {
  static const std::vector<std::string> kVersions = {
      std::string(kVersion20250326), std::string(kVersion20250618), std::string(kVersion20251125),
      std::string(kVersion20260728)};
  return kVersions;
}

const std::string& latest_protocol_version() {
  static const std::string kLatest(kVersion20260728);
  return kLatest;
}

const std::string& latest_session_protocol_version() {
  static const std::string kLatest(kVersion20251125);
  return kLatest;
}

bool is_supported_protocol_version(std::string_view version) {
  const auto& all = supported_protocol_versions();
  return std::find(all.begin(), all.end(), version) != all.end();
}

bool is_stateless_protocol_version(std::string_view version) {
  // Only dated strings compare meaningfully; "abc" sorts after every date.
  const bool dated = version.size() == 10 && version[4] == '-' && version[7] == '-' &&
                     std::all_of(version.begin(), version.end(),
                                 [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
  return dated && version >= kVersion20260728;
}

std::string negotiate_protocol_version(std::string_view requested) {
  if (is_supported_protocol_version(requested) && !is_stateless_protocol_version(requested)) {
    return std::string(requested);
  }
  return latest_session_protocol_version();
}

bool has_titles_and_structured_output(std::string_view version) {
  return version >= kVersion20250618;
}

bool has_tool_execution(std::string_view version) {
  return version >= kVersion20251125;
}

}  // namespace shield::mcp
