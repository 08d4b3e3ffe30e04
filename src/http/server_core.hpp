#pragma once
// What the listener and its connections share: limits, the handler, the registry of live
// connections and the drain state. Connections hold it by shared_ptr, so it outlives the
// Server object while any of them still runs.
//
// Threading: start/stop_accepting/drain/close_all come from one control thread; the
// registry is locked because connections come and go on io threads.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "shield/http/server.hpp"

namespace shield::http::detail {

class Connection;

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(boost::asio::io_context& io, std::string name, ServerLimits limits, Handler handler);
  virtual ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  Result<HostPort> start(const HostPort& listen);
  void stop_accepting();
  void drain(std::function<void()> done);
  void close_all();
  [[nodiscard]] std::size_t connection_count() const;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const ServerLimits& limits() const { return limits_; }
  [[nodiscard]] const Handler& handler() const { return handler_; }
  [[nodiscard]] bool draining() const { return draining_.load(); }
  // A registered connection has closed its socket for good.
  void forget(const Connection* connection);

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  void do_accept();
  void on_accept(const boost::system::error_code& ec,
                 boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand> socket);
  std::vector<std::shared_ptr<Connection>> snapshot() const;

  boost::asio::io_context& io_;
  std::string name_;
  ServerLimits limits_;
  Handler handler_;

  std::mutex acceptor_mutex_;  // stop_accepting (control thread) vs. re-arming (io thread)
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  bool accepting_ = false;

  mutable std::mutex mutex_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> connections_;
  std::atomic<std::size_t> count_{0};
  std::atomic<bool> draining_{false};
  std::function<void()> drain_done_;
};

}  // namespace shield::http::detail
