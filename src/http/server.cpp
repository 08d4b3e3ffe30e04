#include "shield/http/server.hpp"

#include "server_core.hpp"

namespace shield::http {

ServerLimits ServerLimits::from(const config::ServerConfig& server) {
  ServerLimits limits;
  limits.max_body_bytes = server.max_body_bytes;
  limits.max_header_bytes = server.max_header_bytes;
  limits.header_timeout = server.header_timeout;
  limits.body_timeout = server.body_timeout;
  limits.idle_timeout = server.idle_timeout;
  limits.max_connections = server.max_connections;
  limits.max_pipelined = server.max_pipelined;
  return limits;
}

std::size_t ServerLimits::body_limit_for(std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const BodyLimitRule& rule : body_limit_rules) {
    if (path.substr(0, rule.path_prefix.size()) == rule.path_prefix) return rule.max_body_bytes;
  }
  return max_body_bytes;
}

std::string_view ServerLimits::body_limit_setting_for(std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const BodyLimitRule& rule : body_limit_rules) {
    if (path.substr(0, rule.path_prefix.size()) == rule.path_prefix) {
      if (!rule.setting.empty()) return rule.setting;
      break;
    }
  }
  return "server.max_body_bytes";
}

struct Server::Impl : detail::ServerCore {
  using ServerCore::ServerCore;
};

Server::Server(boost::asio::io_context& io, std::string name, ServerLimits limits, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(name), limits, std::move(handler))) {}

Server::~Server() {
  // Connections hold the core and may outlive this object; they must not keep serving.
  impl_->close_all();
}

Result<HostPort> Server::start(const HostPort& listen) {
  return impl_->start(listen);
}

void Server::stop_accepting() {
  impl_->stop_accepting();
}

void Server::drain(std::function<void()> done) {
  impl_->drain(std::move(done));
}

void Server::close_all() {
  impl_->close_all();
}

std::size_t Server::connection_count() const {
  return impl_->connection_count();
}

}  // namespace shield::http
