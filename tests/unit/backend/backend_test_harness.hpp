#pragma once
// Test-side plumbing for the Backend wrapper tests: a scripted backend (the module's Beast
// server on 127.0.0.1:0, answering each request as the test's script says, or holding it
// unanswered), a caller loop that owns the http::Client and awaits Backend::call with a
// bound, and a capture of the log lines the wrapper and its breaker write.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>

#include "shield/backend/backend.hpp"
#include "shield/http/server.hpp"
#include "shield/util/logging.hpp"

namespace shield::backend::testing {

using namespace std::chrono_literals;

struct SeenRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;

  [[nodiscard]] std::string header(const std::string& lower_name) const {
    const auto found = headers.find(lower_name);
    return found == headers.end() ? std::string() : found->second;
  }
};

// What the scripted backend does with one request.
struct Reply {
  unsigned status = 200;
  std::string body = R"({"status":"ok","result":{}})";
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // never answer (until the server goes away)

  static Reply json(unsigned status, std::string body) {
    Reply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
  }
  static Reply hung() {
    Reply reply;
    reply.hang = true;
    return reply;
  }
};

class ScriptedBackend {
 public:
  // Called for every request, in arrival order; `index` counts from 0.
  using Script = std::function<Reply(const SeenRequest& request, std::size_t index)>;

  ScriptedBackend() : work_(boost::asio::make_work_guard(io_)) {
    server_ = std::make_unique<http::Server>(
        io_, "scripted-backend", http::ServerLimits{},
        [this](http::Request request, std::shared_ptr<http::Exchange> exchange) {
          handle(std::move(request), std::move(exchange));
        });
    auto bound = server_->start(HostPort{"127.0.0.1", 0});
    if (!bound) throw std::runtime_error(bound.error().message);
    port_ = bound->port;
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~ScriptedBackend() {
    server_->close_all();
    server_.reset();
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
    held_.clear();
  }

  ScriptedBackend(const ScriptedBackend&) = delete;
  ScriptedBackend& operator=(const ScriptedBackend&) = delete;

  void script(Script script) {
    std::lock_guard lock(mutex_);
    script_ = std::move(script);
  }
  // Every request gets `reply`.
  void always(Reply reply) {
    script([reply](const SeenRequest&, std::size_t) { return reply; });
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  [[nodiscard]] std::size_t request_count() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  [[nodiscard]] std::vector<SeenRequest> requests() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // True once `n` requests have arrived; false (not a hang) after `limit`.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return seen_.size() >= n; });
  }

 private:
  void handle(http::Request request, std::shared_ptr<http::Exchange> exchange) {
    SeenRequest seen;
    seen.method = std::string(request.method_string());
    seen.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      seen.headers[name] = std::string(field.value());
    }
    seen.body = request.body();
    Script script;
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = seen_.size();
      seen_.push_back(seen);
      script = script_;
    }
    const Reply reply = script ? script(seen, index) : Reply{};
    if (reply.hang) {
      std::lock_guard lock(mutex_);
      held_.push_back(std::move(exchange));
    } else {
      http::Response response{static_cast<boost::beast::http::status>(reply.status),
                              request.version()};
      response.set(boost::beast::http::field::content_type, "application/json");
      for (const auto& [name, value] : reply.headers) response.set(name, value);
      response.body() = reply.body;
      response.prepare_payload();
      exchange->respond(std::move(response));
    }
    // Notified last, so a test woken by the count sees the request answered or held.
    changed_.notify_all();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  Script script_;
  std::vector<SeenRequest> seen_;
  std::vector<std::shared_ptr<http::Exchange>> held_;
};

// A port on 127.0.0.1 nothing listens on: bound, then closed.
inline std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  const std::uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

struct TimedResult {
  BackendResult result;
  std::chrono::nanoseconds took{0};
};

inline boost::asio::awaitable<TimedResult> timed_call(Backend* backend, BackendRequest request,
                                                      CancellationToken cancel) {
  const auto started = std::chrono::steady_clock::now();
  BackendResult result = co_await backend->call(std::move(request), std::move(cancel));
  const auto took = std::chrono::steady_clock::now() - started;
  co_return TimedResult{std::move(result), took};
}

// The http::Client on an io_context of its own, run by two threads like the daemon's pool.
class CallerLoop {
 public:
  CallerLoop()
      : work_(boost::asio::make_work_guard(io_)), client_(std::make_unique<http::Client>(io_)) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~CallerLoop() {
    client_.reset();
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }
  CallerLoop(const CallerLoop&) = delete;
  CallerLoop& operator=(const CallerLoop&) = delete;

  http::Client& client() { return *client_; }
  boost::asio::io_context& io() { return io_; }

  std::future<TimedResult> start(Backend& backend, BackendRequest request,
                                 CancellationToken cancel = {}) {
    return boost::asio::co_spawn(io_, timed_call(&backend, std::move(request), std::move(cancel)),
                                 boost::asio::use_future);
  }

  // The result with how long call() took inside the loop, or a test failure (not a hang)
  // when none arrives within `limit`.
  static TimedResult wait(std::future<TimedResult>& future, std::chrono::milliseconds limit = 10s) {
    if (future.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "no result within " << limit.count() << " ms";
      BackendError error;
      error.message = "test: no result";
      return TimedResult{tl::unexpected(error), {}};
    }
    return future.get();
  }

  TimedResult call(Backend& backend, BackendRequest request, CancellationToken cancel = {}) {
    auto future = start(backend, std::move(request), std::move(cancel));
    return wait(future);
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<http::Client> client_;
  std::vector<std::thread> threads_;
};

// Everything the "backend" and "resilience" loggers write while it lives, at every level.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    sink_->set_pattern("%l [%n] %v");
    for (const char* name : {"backend", "resilience"}) {
      auto logger = named_logger(name);
      levels_.push_back(logger->level());
      logger->sinks().push_back(sink_);
      logger->set_level(spdlog::level::trace);
      loggers_.push_back(std::move(logger));
    }
  }
  ~LogCapture() {
    for (std::size_t i = 0; i < loggers_.size(); ++i) {
      auto& sinks = loggers_[i]->sinks();
      sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
      loggers_[i]->set_level(levels_[i]);
    }
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  [[nodiscard]] std::string text() {
    for (auto& logger : loggers_) logger->flush();
    return text_.str();
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::vector<std::shared_ptr<spdlog::logger>> loggers_;
  std::vector<spdlog::level::level_enum> levels_;
};

inline std::string describe(const BackendResult& result) {
  if (result) return "status " + std::to_string(result->status);
  return std::string(to_string(result.error().code)) + ": " + result.error().message;
}

}  // namespace shield::backend::testing
