#pragma once
// Test-side peer for the HTTP client tests: a blocking HTTP/1.1 server on 127.0.0.1:0 whose
// every connection runs a script the test writes (answer, stall, reset, close...). Each
// connection gets its own thread; every wait is bounded by poll() and woken by the server's
// stop event, so a misbehaving client fails a test instead of hanging it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace shield::http::client_testing {

using namespace std::chrono_literals;

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-cased names; repeats joined ", "
  std::string body;

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  [[nodiscard]] bool has_header(const std::string& lower_name) const {
    return headers.count(lower_name) != 0;
  }
};

// A count other threads can wait on with a bound.
class Countdown {
 public:
  void arrive() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool wait_for(std::size_t count, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return count_ >= count; });
  }
  [[nodiscard]] std::size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t count_ = 0;
};

class ServerConnection {
 public:
  ServerConnection(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}
  ~ServerConnection() { ::close(fd_); }
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // The next request on this connection; nullopt when the peer closes, the bytes are not
  // HTTP, or nothing complete arrives within `limit`.
  std::optional<RecordedRequest> read_request(std::chrono::milliseconds limit = 5s) {
    namespace bhttp = boost::beast::http;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!parser.is_done()) {
      if (!pending_.empty()) {
        boost::system::error_code ec;
        auto used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != bhttp::error::need_more) return std::nullopt;
        if (parser.is_done()) break;
        if (used > 0 && !ec) continue;
      }
      if (!receive(deadline)) return std::nullopt;
    }
    auto message = parser.release();
    RecordedRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto [it, inserted] = request.headers.try_emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    request.body = std::move(message.body());
    return request;
  }

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

  // A complete keep-alive answer with a Content-Length body.
  bool respond(unsigned status, std::string_view body,
               const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
    for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    head += body;
    return send(head);
  }

  // True once the client has closed its end (EOF or reset) within `limit`.
  bool wait_for_close(std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto got = receive_raw(deadline);
      if (got == Receive::kClosed) return true;
      if (got != Receive::kData) return false;
      pending_.clear();
    }
  }

  // Closes with a TCP reset instead of a FIN.
  void reset() {
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  enum class Receive { kData, kClosed, kTimeout, kStopped };

  bool receive(std::chrono::steady_clock::time_point deadline) {
    return receive_raw(deadline) == Receive::kData;
  }

  Receive receive_raw(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Receive::kTimeout;
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      int ready = ::poll(fds, 2, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return Receive::kTimeout;
      if ((fds[1].revents & POLLIN) != 0) return Receive::kStopped;
      char chunk[16 * 1024];
      auto got = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Receive::kClosed;
      pending_.append(chunk, static_cast<std::size_t>(got));
      return Receive::kData;
    }
  }

  int fd_;
  int stop_fd_;
  std::string pending_;
};

class ScriptedServer {
 public:
  using Script = std::function<void(ServerConnection&)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    socklen_t length = sizeof(address);
    if (stop_fd_ < 0 || listen_fd_ < 0 || ::bind(listen_fd_, raw, sizeof(address)) != 0 ||
        ::listen(listen_fd_, 128) != 0 || ::getsockname(listen_fd_, raw, &length) != 0) {
      throw std::runtime_error("cannot start the scripted test server");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~ScriptedServer() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof(one));
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& thread : threads) thread.join();
    ::close(listen_fd_);
    ::close(stop_fd_);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  // Connections accepted so far.
  [[nodiscard]] std::size_t connections() const { return accepted_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if ((fds[1].revents & POLLIN) != 0) return;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      accepted_.fetch_add(1);
      std::lock_guard lock(mutex_);
      threads_.emplace_back([this, fd] {
        ServerConnection connection(fd, stop_fd_);
        script_(connection);
      });
    }
  }

  Script script_;
  int stop_fd_ = -1;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace shield::http::client_testing
