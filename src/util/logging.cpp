#include "shield/util/logging.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace shield {
namespace {

constexpr const char* kDefaultLoggerName = "shield-mcp";

std::string quoted_list(const auto& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out.append(name);
  }
  return out;
}

std::optional<spdlog::level::level_enum> level_from_name(std::string_view name) {
  auto it = std::find(kLogLevels.begin(), kLogLevels.end(), name);
  if (it == kLogLevels.end()) return std::nullopt;
  // kLogLevels lists the names in spdlog's enum order, trace (0) to off (6).
  return static_cast<spdlog::level::level_enum>(it - kLogLevels.begin());
}

void put(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

Error bad_level(std::string_view level) {
  return Error{ErrorCode::kInvalidArgument,
               "log level '" + std::string(level) + "' is not one of " + quoted_list(kLogLevels)};
}

// Appends `text` as the body of a JSON string. Bytes that are not valid UTF-8 become
// U+FFFD so a stray byte from a client header can never make the line unparsable.
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          put(dest, "\\\"");
          break;
        case '\\':
          put(dest, "\\\\");
          break;
        case '\n':
          put(dest, "\\n");
          break;
        case '\r':
          put(dest, "\\r");
          break;
        case '\t':
          put(dest, "\\t");
          break;
        case '\b':
          put(dest, "\\b");
          break;
        case '\f':
          put(dest, "\\f");
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
            dest.append(escaped, escaped + 6);
          } else {
            dest.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Multi-byte sequence: accept only well-formed UTF-8 (no overlongs, no surrogates,
    // nothing above U+10FFFF), per the table in RFC 3629 section 4.
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    }
    bool valid = length != 0 && i + length <= size;
    for (std::size_t k = 1; valid && k < length; ++k) {
      const unsigned char next = bytes[i + k];
      valid = k == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xbf);
    }
    if (valid) {
      dest.append(text.data() + i, text.data() + i + length);
      i += length;
    } else {
      put(dest, "\xef\xbf\xbd");
      ++i;
    }
  }
}

// One JSON object per line: {"ts":"2024-01-02T03:04:05.678Z","level":"info",
// "logger":"shield-mcp","msg":"..."}. Runs under the sink's lock, so the cached
// timestamp prefix needs no synchronisation of its own.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    using std::chrono::system_clock;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto secs = duration_cast<seconds>(since_epoch);
    const auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
    if (secs.count() != cached_second_) {
      cached_second_ = secs.count();
      const std::time_t t = static_cast<std::time_t>(cached_second_);
      std::tm utc{};
      gmtime_r(&t, &utc);
      char buffer[32];
      const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
      cached_prefix_.assign(buffer, n);
    }
    put(dest, "{\"ts\":\"");
    put(dest, cached_prefix_);
    const char fraction[5] = {'.', static_cast<char>('0' + millis / 100),
                              static_cast<char>('0' + millis / 10 % 10),
                              static_cast<char>('0' + millis % 10), 'Z'};
    dest.append(fraction, fraction + 5);
    put(dest, "\",\"level\":\"");
    const auto level_index = static_cast<std::size_t>(msg.level);
    put(dest, level_index < kLogLevels.size() ? kLogLevels[level_index] : "info");
    put(dest, "\",\"logger\":\"");
    append_json_escaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    put(dest, "\",\"msg\":\"");
    append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    put(dest, "\"}\n");
  }

  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }

 private:
  std::int64_t cached_second_ = -1;
  std::string cached_prefix_;
};

std::mutex& named_logger_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

Result<std::unique_ptr<spdlog::formatter>> make_log_formatter(std::string_view format) {
  if (format == "json") return std::make_unique<JsonLogFormatter>();
  if (format == "text") {
    return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%-8l%$ [%n] %v",
                                                       spdlog::pattern_time_type::utc);
  }
  return fail(ErrorCode::kInvalidArgument,
              "log format '" + std::string(format) + "' is not one of " + quoted_list(kLogFormats));
}

Result<void> setup_logging(const std::string& level, const std::string& format) {
  const auto parsed_level = level_from_name(level);
  if (!parsed_level) return tl::unexpected(bad_level(level));
  auto formatter = make_log_formatter(format);
  if (!formatter) return tl::unexpected(formatter.error());

  std::lock_guard lock(named_logger_mutex());
  // The colour sink colours only when stderr is a terminal, and the JSON formatter marks
  // no colour range, so JSON lines never carry escape codes.
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_formatter(std::move(*formatter));
  auto logger = std::make_shared<spdlog::logger>(kDefaultLoggerName, sink);
  logger->set_level(*parsed_level);
  // Loggers handed out before a second set-up follow the new sink and level too.
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& existing) {
    existing->sinks().assign(1, sink);
    existing->set_level(*parsed_level);
  });
  spdlog::set_default_logger(logger);
  return {};
}

Result<void> set_log_level(std::string_view level) {
  const auto parsed_level = level_from_name(level);
  if (!parsed_level) return tl::unexpected(bad_level(level));
  spdlog::set_level(*parsed_level);
  return {};
}

std::shared_ptr<spdlog::logger> named_logger(const std::string& name) {
  std::lock_guard lock(named_logger_mutex());
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::default_logger()->clone(name);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace shield
