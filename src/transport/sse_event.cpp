#include "shield/transport/sse_event.hpp"

#include <charconv>

namespace shield::transport {
namespace {

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::string EventId::to_string() const {
  return std::to_string(stream) + "-" + std::to_string(sequence);
}

std::optional<EventId> parse_event_id(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto stream = parse_decimal(text.substr(0, dash));
  auto sequence = parse_decimal(text.substr(dash + 1));
  if (!stream || !sequence) return std::nullopt;
  return EventId{*stream, *sequence};
}

std::string format_message_event(const EventId& id, std::string_view data) {
  std::string out;
  out.reserve(data.size() + 48);
  out.append("id: ").append(id.to_string()).append("\nevent: message\ndata: ");
  out.append(data).append("\n\n");
  return out;
}

std::string format_message_event(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 32);
  out.append("event: message\ndata: ").append(data).append("\n\n");
  return out;
}

std::string format_priming_event(const EventId& id, std::chrono::milliseconds retry) {
  return "id: " + id.to_string() + "\nretry: " + std::to_string(retry.count()) + "\ndata: \n\n";
}

std::string format_comment(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 4);
  out.append(": ").append(text).append("\n\n");
  return out;
}

}  // namespace shield::transport
