#pragma once
// Server-Sent Events as MCP's Streamable HTTP uses them: `message` events carrying one
// JSON-RPC message each, the priming event of 2025-11-25 (an id and empty data, plus the
// `retry:` hint), and comment lines that keep idle connections open.
//
// An event id names the stream it belongs to and its place in it ("<stream>-<sequence>"),
// so a Last-Event-ID alone tells the server which stream to resume and from where.
// Pure functions, safe from any thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shield::transport {

struct EventId {
  std::uint64_t stream = 0;
  std::uint64_t sequence = 0;

  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const EventId&, const EventId&) = default;
};

// nullopt for anything that is not exactly "<digits>-<digits>" (within 64 bits).
std::optional<EventId> parse_event_id(std::string_view text);

// `data` must be one line (serialised JSON never contains a raw newline).
std::string format_message_event(const EventId& id, std::string_view data);
// A message event without an id: for streams that can never be resumed (2026-07-28).
std::string format_message_event(std::string_view data);
// An id, the reconnection delay and empty data: lets the client resume a stream before
// the first real message arrives.
std::string format_priming_event(const EventId& id, std::chrono::milliseconds retry);
// A comment line (": text"); clients ignore it, proxies see traffic.
std::string format_comment(std::string_view text);

}  // namespace shield::transport
