#pragma once
// Runs a backend client's coroutine on the harness's CallerLoop and waits for it with a
// bound, plus a Backend pointed at a ScriptedBackend.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "shield/backend/backend.hpp"
#include "shield/metrics/metrics.hpp"
#include "unit/backend/backend_test_harness.hpp"

namespace shield::backend::testing {

class ClientFixture : public ::testing::Test {
 protected:
  Backend& backend(const std::string& name = "qdrant", std::string base_url = {}) {
    BackendSettings settings;
    settings.name = name;
    settings.display_name = name;
    settings.base_url = base_url.empty() ? server_.url() : std::move(base_url);
    settings.connect_timeout = std::chrono::milliseconds(1000);
    settings.timeout = std::chrono::milliseconds(5000);
    settings.retry.max_attempts = 1;
    backend_ = std::make_unique<Backend>(std::move(settings), loop_.client(), metrics_,
                                         SystemClock::instance());
    return *backend_;
  }

  // The value `work` completes with, or a test failure (not a hang) after 10 s.
  template <class T>
  T run(boost::asio::awaitable<T> work) {
    auto future = boost::asio::co_spawn(loop_.io(), std::move(work), boost::asio::use_future);
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no result within 10 s";
      std::abort();
    }
    return future.get();
  }

  ScriptedBackend server_;
  CallerLoop loop_;
  metrics::Metrics metrics_{"test"};
  std::unique_ptr<Backend> backend_;
};

inline Json body_of(const SeenRequest& request) {
  return Json::parse(request.body, nullptr, false);
}

}  // namespace shield::backend::testing
