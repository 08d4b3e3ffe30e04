#pragma once
// One info line per request: request id, method, target, status, duration and peer.
// Entries are only built when info is enabled, so a quiet server pays nothing per request.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "shield/http/exchange.hpp"

namespace shield::http::detail {

struct AccessLogEntry {
  std::string id;  // short random id, correlates the lines of one request
  std::string method;
  std::string target;
  std::chrono::steady_clock::time_point received;

  // Nullopt when the default logger would drop info lines.
  static std::optional<AccessLogEntry> begin(std::string_view method, std::string_view target);

  // `note` marks lines that are not a plain response ("stream-open", "stream-end").
  void write(std::string_view server, unsigned status, std::string_view peer,
             std::string_view note = {}) const;
};

}  // namespace shield::http::detail
