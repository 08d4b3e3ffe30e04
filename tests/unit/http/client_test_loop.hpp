#pragma once
// Test-side owner of an http::Client: an io_context run by its own threads (two by default,
// like the daemon's pool) and helpers that spawn send() as a coroutine and wait, with a
// bound, for its result.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "shield/http/client.hpp"

namespace shield::http::client_testing {

class ClientLoop {
 public:
  explicit ClientLoop(ClientOptions options = {}, unsigned threads = 2)
      : work_(boost::asio::make_work_guard(io_)),
        client_(std::make_unique<Client>(io_, std::move(options))) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~ClientLoop() {
    client_.reset();
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }
  ClientLoop(const ClientLoop&) = delete;
  ClientLoop& operator=(const ClientLoop&) = delete;

  boost::asio::io_context& io() { return io_; }
  Client& client() { return *client_; }
  // Destroys the client now, whatever it has in flight.
  void destroy_client() { client_.reset(); }

  std::future<ClientResult> start(ClientRequest request, CancellationToken cancel = {}) {
    return boost::asio::co_spawn(io_, client_->send(std::move(request), std::move(cancel)),
                                 boost::asio::use_future);
  }

  ClientResult send(ClientRequest request, CancellationToken cancel = {}) {
    return wait(start(std::move(request), std::move(cancel)));
  }

  // The result, or a test failure (not a hang) when none arrives within `limit`.
  static ClientResult wait(std::future<ClientResult> future,
                           std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    if (future.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "no result within " << limit.count() << " ms";
      return tl::unexpected(ClientError{ClientErrorKind::kOther, "test: no result"});
    }
    return future.get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Client> client_;
  std::vector<std::thread> threads_;
};

inline ClientRequest get(std::string url) {
  ClientRequest request;
  request.url = std::move(url);
  return request;
}

// gtest output for a failed result: "kind: message".
inline std::string describe(const ClientResult& result) {
  if (result) return "status " + std::to_string(result->status);
  return std::string(to_string(result.error().kind)) + ": " + result.error().message;
}

}  // namespace shield::http::client_testing
