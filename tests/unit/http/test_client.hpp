#pragma once
// Test-side plumbing for the http unit tests: a server on 127.0.0.1:0 run by its own io
// threads, and a blocking client on a raw socket whose every wait is bounded by poll(), so
// a misbehaving server fails a test instead of hanging it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "shield/http/server.hpp"

namespace shield::http::testing {

using namespace std::chrono_literals;
using ClientResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A Server on 127.0.0.1:0 with `threads` io threads; everything stops in the destructor.
class ServerHarness {
 public:
  ServerHarness(ServerLimits limits, Handler handler, unsigned threads = 2)
      : work_(boost::asio::make_work_guard(io_)) {
    server_ = std::make_unique<Server>(io_, "test", limits, std::move(handler));
    auto bound = server_->start(HostPort{"127.0.0.1", 0});
    if (!bound) throw std::runtime_error(bound.error().message);
    bound_ = *bound;
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~ServerHarness() {
    server_->close_all();
    server_.reset();
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }
  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;

  Server& server() { return *server_; }
  [[nodiscard]] std::uint16_t port() const { return bound_.port; }
  [[nodiscard]] const HostPort& bound() const { return bound_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Server> server_;
  HostPort bound_;
  std::vector<std::thread> threads_;
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      auto sent = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // One HTTP response, parsed by Beast; nullopt when it does not complete in `timeout` or
  // the connection ends first. Bytes after it stay buffered for the next call.
  std::optional<ClientResponse> read_response(std::chrono::milliseconds timeout = 5s) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!parser.is_done()) {
      if (!pending_.empty()) {
        boost::system::error_code ec;
        auto used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != boost::beast::http::error::need_more) return std::nullopt;
        if (parser.is_done()) break;
        if (used > 0 && !ec) continue;
      }
      auto got = receive(deadline);
      if (got == Receive::kClosed) {
        boost::system::error_code ec;
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return std::nullopt;
        break;
      }
      if (got == Receive::kTimeout) return std::nullopt;
    }
    return parser.release();
  }

  // Raw bytes until `done(bytes)` holds; nullopt on timeout or close. Consumes what it read.
  std::optional<std::string> read_until(const std::function<bool(const std::string&)>& done,
                                        std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(pending_)) {
      if (receive(deadline) != Receive::kData) return std::nullopt;
    }
    return std::exchange(pending_, {});
  }

  // True once the server has closed the connection (EOF or reset) within `timeout`; data
  // that arrives meanwhile is kept in `discarded()`.
  bool wait_closed(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto got = receive(deadline);
      if (got == Receive::kClosed) return true;
      if (got == Receive::kTimeout) return false;
    }
  }

  [[nodiscard]] const std::string& discarded() const { return pending_; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  enum class Receive { kData, kClosed, kTimeout };

  Receive receive(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return Receive::kTimeout;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) return Receive::kTimeout;
      char buffer[16 * 1024];
      auto got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Receive::kClosed;
      pending_.append(buffer, static_cast<std::size_t>(got));
      return Receive::kData;
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

inline std::string get_request(std::string_view target, std::string_view extra_headers = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

inline std::string post_request(std::string_view target, std::string_view body,
                                std::string_view extra_headers = {}) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" +
         std::string(body);
}

// Small limits so timeouts are reached in milliseconds; each test overrides what it probes.
inline ServerLimits fast_limits() {
  ServerLimits limits;
  limits.header_timeout = 5s;
  limits.body_timeout = 5s;
  limits.idle_timeout = 5s;
  return limits;
}

}  // namespace shield::http::testing
