#pragma once
// Process-wide logging on spdlog. Logs always go to stderr: with `--stdio` stdout carries
// JSON-RPC and must stay clean. Two formats: "text" for people, "json" for collectors
// (one object per line: ts, level, logger, msg).
//
// Threading: setup_logging() is a start-up call (one thread, before the io_context runs).
// named_logger() and the loggers it returns are safe from any thread.
#include <array>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include "shield/util/error.hpp"

namespace shield {

// Accepted spellings, in order of increasing severity (`off` silences everything).
inline constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug",    "info", "warn",
                                                            "error", "critical", "off"};
inline constexpr std::array<std::string_view, 2> kLogFormats{"text", "json"};

// Replaces spdlog's default logger with one writing to stderr in `format` at `level`.
// kInvalidArgument naming the bad value (and the accepted ones) leaves logging untouched.
Result<void> setup_logging(const std::string& level, const std::string& format);

// Changes the level of every logger (MCP `logging/setLevel`, or a signal).
Result<void> set_log_level(std::string_view level);

// The formatter setup_logging() installs for `format`; tests format into their own sinks
// with it. Timestamps are UTC. kInvalidArgument for an unknown format.
Result<std::unique_ptr<spdlog::formatter>> make_log_formatter(std::string_view format);

// A logger named `name` sharing the default logger's sink, format and level; created on
// first use. Call after setup_logging() so the name appears in every line it writes.
std::shared_ptr<spdlog::logger> named_logger(const std::string& name);

}  // namespace shield
