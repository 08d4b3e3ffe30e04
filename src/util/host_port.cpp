#include "shield/util/host_port.hpp"

#include <charconv>

namespace shield {

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool HostPort::is_loopback() const {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(ErrorCode::kInvalidArgument,
                  "'" + std::string(text) + "' is not HOST:PORT (IPv6 is written [::1]:PORT)");
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(ErrorCode::kInvalidArgument,
                  "'" + std::string(text) + "' is not HOST:PORT (e.g. 127.0.0.1:8765)");
    }
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "'" + std::string(text) + "': write IPv6 addresses in brackets, e.g. [::1]:8765");
    }
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port_text.empty() ||
      value > 65535) {
    return fail(ErrorCode::kInvalidArgument,
                "'" + std::string(text) + "': port must be a number from 0 to 65535");
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

}  // namespace shield
