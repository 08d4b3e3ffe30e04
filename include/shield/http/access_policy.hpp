#pragma once
// Who may talk to us: the Host and Origin allow-lists (DNS-rebinding protection) and
// optional bearer tokens compared in constant time. Pure functions of a request, so they
// are unit-tested without a socket.
#include <optional>
#include <string>
#include <vector>

#include "shield/config/config.hpp"
#include "shield/http/exchange.hpp"

namespace shield::http {

class AccessPolicy {
 public:
  // Empty allow-lists mean: loopback names only (localhost, 127.0.0.1, [::1], any port),
  // plus the listen address itself.
  AccessPolicy(const config::ServerConfig& server, const HostPort& bound);

  // 403 (invalid Host or Origin, JSON-RPC-shaped error body) or nullopt when allowed.
  // A request without Origin (non-browser client) passes the Origin check.
  [[nodiscard]] std::optional<Response> check_host_origin(const Request& request) const;
  // 401 with `WWW-Authenticate: Bearer` or nullopt. On success sets `principal` to a
  // stable non-secret name for the token ("token-1", ...), or "anonymous" without auth.
  [[nodiscard]] std::optional<Response> check_auth(const Request& request,
                                                   std::string& principal) const;
  [[nodiscard]] bool auth_enabled() const { return !tokens_.empty(); }

 private:
  std::vector<std::string> hosts_;
  std::vector<std::string> origins_;
  std::vector<std::string> tokens_;
};

}  // namespace shield::http
