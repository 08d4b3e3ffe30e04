#pragma once
// HOST:PORT as written on the command line and in config ("127.0.0.1:8765", "[::1]:9090",
// "localhost:0"). Port 0 means "any free port" (tests).
#include <cstdint>
#include <string>
#include <string_view>

#include "shield/util/error.hpp"

namespace shield {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  [[nodiscard]] std::string to_string() const;
  // True for 127.0.0.0/8, ::1 and "localhost".
  [[nodiscard]] bool is_loopback() const;
};

Result<HostPort> parse_host_port(std::string_view text);

}  // namespace shield
