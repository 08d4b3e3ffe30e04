#pragma once
// Shared by the jobs unit tests: a scratch state directory, an io_context the test thread
// drives until a condition holds (journal work happens on the engine's own thread, so the
// test waits for its answers rather than sleeping), runners the test opens by hand, and a
// reader for the Prometheus series.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "shield/jobs/job_engine.hpp"
#include "shield/util/clock.hpp"
#include "unit/resilience/metric_reader.hpp"

namespace shield::jobs::testing {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// A fresh directory under the system temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() / ("shield-jobs-test-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The io_context the engine runs on, driven by the test thread one handler at a time.
class Loop {
 public:
  Loop() : io_(std::make_unique<asio::io_context>()), work_(asio::make_work_guard(*io_)) {}
  ~Loop() { shutdown(); }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  [[nodiscard]] asio::any_io_executor executor() { return io_->get_executor(); }

  // Runs handlers until `done` holds; false after `limit` (a hang, reported by the caller).
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_->run_one_for(5ms);
    }
    return true;
  }

  // Runs every handler that is ready now, and those the journal thread answers meanwhile.
  void settle() {
    for (int i = 0; i < 20; ++i) io_->run_for(2ms);
  }

  template <class T>
  T await(asio::awaitable<T> operation) {
    std::optional<T> out;
    std::exception_ptr failure;
    asio::co_spawn(*io_, std::move(operation), [&](std::exception_ptr e, T value) {
      failure = e;
      if (!e) out.emplace(std::move(value));
    });
    const bool finished = run_until([&] { return out.has_value() || failure != nullptr; });
    if (failure) std::rethrow_exception(failure);
    if (!finished) throw std::runtime_error("the operation did not finish within 10 s");
    return std::move(*out);
  }

  void await(asio::awaitable<void> operation) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(*io_, std::move(operation), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    const bool finished = run_until([&] { return done; });
    if (failure) std::rethrow_exception(failure);
    if (!finished) throw std::runtime_error("the operation did not finish within 10 s");
  }

  // Destroys the io_context with whatever is still suspended on it: what kill -9 leaves.
  void shutdown() {
    work_.reset();
    io_.reset();
  }

 private:
  std::unique_ptr<asio::io_context> io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
};

// A runner that waits until the test opens its gate, or its token trips (then it answers
// kCancelled, as the runner contract asks). It records every context it was started with.
class GatedRunner {
 public:
  struct Gate {
    explicit Gate(const asio::any_io_executor& executor) : wake(executor, 1) {}
    asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
    std::mutex mutex;
    std::optional<Result<Json>> outcome;

    void open(Result<Json> result) {
      {
        const std::lock_guard lock(mutex);
        if (outcome) return;
        outcome = std::move(result);
      }
      wake.try_send(boost::system::error_code{});
    }
  };

  explicit GatedRunner(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  JobRunner runner() {
    return [this](JobContext context) -> asio::awaitable<Result<Json>> {
      auto gate = gate_for(context.job.id);
      {
        const std::lock_guard lock(mutex_);
        started_.push_back(context);
      }
      const auto hook = context.cancel.on_cancel(
          [gate] { gate->open(fail(ErrorCode::kCancelled, "the runner saw its token trip")); });
      co_await gate->wake.async_receive(asio::as_tuple(asio::use_awaitable));
      context.cancel.forget(hook);
      const std::lock_guard lock(gate->mutex);
      co_return *gate->outcome;
    };
  }

  // Lets the job's runner return `result`.
  void finish(const std::string& job_id, Result<Json> result) {
    gate_for(job_id)->open(std::move(result));
  }

  [[nodiscard]] std::vector<JobContext> started() const {
    const std::lock_guard lock(mutex_);
    return started_;
  }
  [[nodiscard]] std::size_t started_count() const {
    const std::lock_guard lock(mutex_);
    return started_.size();
  }
  [[nodiscard]] std::optional<JobContext> context_of(const std::string& job_id) const {
    const std::lock_guard lock(mutex_);
    for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
      if (it->job.id == job_id) return *it;
    }
    return std::nullopt;
  }

 private:
  std::shared_ptr<Gate> gate_for(const std::string& job_id) {
    const std::lock_guard lock(mutex_);
    auto& gate = gates_[job_id];
    if (!gate) gate = std::make_shared<Gate>(executor_);
    return gate;
  }

  asio::any_io_executor executor_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Gate>> gates_;
  std::vector<JobContext> started_;
};

// A counter's or gauge's value, or a histogram's sample count, as a scrape sees it.
using resilience::test_support::read_metric;

}  // namespace shield::jobs::testing
