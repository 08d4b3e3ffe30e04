#pragma once
// Who may talk to us: the Host and Origin allow-lists (DNS-rebinding protection) and
// optional bearer tokens compared in constant time. Pure functions of a request, so they
// are unit-tested without a socket.
//
// Matching: hosts compare case-insensitively and ignore the port ("localhost:8765" and
// "LOCALHOST" are the host "localhost"; IPv6 is written "[::1]"). An origin entry is
// "scheme://host[:port]"; without a port it allows any port of that host. "*" in either
// list allows everything. The "null" origin (sandboxed documents, file://) is refused
// unless "*" is configured.
//
// Threading: immutable after construction; every member is safe from any thread.
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
  // Every configured token is compared, in constant time, whatever matches first.
  [[nodiscard]] std::optional<Response> check_auth(const Request& request,
                                                   std::string& principal) const;
  [[nodiscard]] bool auth_enabled() const { return !tokens_.empty(); }

 private:
  struct OriginRule {
    std::string scheme;
    std::string host;
    std::optional<std::string> port;  // nullopt: any port
  };

  [[nodiscard]] bool host_allowed(const std::string& host) const;
  [[nodiscard]] bool origin_allowed(const std::string& origin) const;

  std::vector<std::string> hosts_;
  bool any_host_ = false;
  std::vector<OriginRule> origins_;
  bool any_origin_ = false;
  std::vector<std::string> tokens_;
  std::vector<std::string> principals_;  // principals_[i] names tokens_[i]
};

}  // namespace shield::http
