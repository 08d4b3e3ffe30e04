#include "access_log.hpp"

#include <spdlog/spdlog.h>

#include "json_response.hpp"
#include "shield/util/secure_token.hpp"

namespace shield::http::detail {
namespace {

// Long targets (query strings) would flood the log; the start is enough to recognise them.
constexpr std::size_t kTargetLogLimit = 256;

}  // namespace

std::optional<AccessLogEntry> AccessLogEntry::begin(std::string_view method,
                                                    std::string_view target) {
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return std::nullopt;
  return AccessLogEntry{random_hex(6), std::string(method),
                        quote_header_value(target, kTargetLogLimit),
                        std::chrono::steady_clock::now()};
}

void AccessLogEntry::write(std::string_view server, unsigned status, std::string_view peer,
                           std::string_view note) const {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(spdlog::level::info)) return;
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - received)
          .count();
  if (note.empty()) {
    logger->info("[{}] {} {} {} {} {:.2f}ms peer={}", server, id, method, target, status, ms, peer);
  } else {
    logger->info("[{}] {} {} {} {} {:.2f}ms peer={} {}", server, id, method, target, status, ms,
                 peer, note);
  }
}

}  // namespace shield::http::detail
