#pragma once
// An asynchronous HTTP/1.1 server on Boost.Beast: keep-alive, bounded pipelining, body and
// header limits, header/body/idle timeouts, a connection cap, chunked streaming responses
// (SSE) and graceful shutdown. It knows nothing of MCP: every request goes to one Handler
// (usually a Router).
//
// Threading: runs on the caller's io_context (N threads); each connection lives on its
// own strand. start() and the stop calls must come from one control thread.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "shield/config/config.hpp"
#include "shield/http/exchange.hpp"
#include "shield/util/error.hpp"
#include "shield/util/host_port.hpp"

namespace shield::http {

// A larger (or smaller) body limit for requests whose path starts with `path_prefix`, e.g.
// uploads on "/ingest". Decided once the head is read, before any body byte is accepted.
struct BodyLimitRule {
  std::string path_prefix;
  std::size_t max_body_bytes = 0;
  std::string setting;  // what sets the limit, named in the 413 message, e.g. a config key
};

struct ServerLimits {
  std::size_t max_body_bytes = std::size_t{4} * 1024 * 1024;
  std::vector<BodyLimitRule> body_limit_rules;  // first match wins; else max_body_bytes
  [[nodiscard]] std::size_t body_limit_for(std::string_view target) const;
  // The setting behind body_limit_for(target) ("server.max_body_bytes" unless a rule names
  // another).
  [[nodiscard]] std::string_view body_limit_setting_for(std::string_view target) const;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 1024;
  std::size_t max_pipelined = 16;

  static ServerLimits from(const config::ServerConfig& server);
};

class Server {
 public:
  // `name` only labels log lines ("mcp", "metrics").
  Server(boost::asio::io_context& io, std::string name, ServerLimits limits, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Returns the bound address (the real port when 0 was
  // asked). kUnavailable with the OS reason when the bind fails.
  Result<HostPort> start(const HostPort& listen);
  // Stops accepting new connections; open ones carry on.
  void stop_accepting();
  // Closes idle keep-alive connections now, and every connection (streams included) once
  // its in-flight request is answered. `done` runs when no connection is left.
  void drain(std::function<void()> done);
  // Closes every connection at once (end of the grace period).
  void close_all();
  [[nodiscard]] std::size_t connection_count() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shield::http
