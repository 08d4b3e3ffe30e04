#pragma once
// An in-memory JobEngine for app tests: jobs are put in by the test, changes are pushed
// with publish(), and every call is answered at once. Thread-safe.
#include <map>
#include <mutex>
#include <vector>

#include "shield/jobs/job_engine.hpp"

namespace shield::app::testing {

class FakeJobEngine : public jobs::JobEngine {
 public:
  void register_runner(jobs::JobKind, jobs::JobRunner, std::size_t) override {}
  boost::asio::awaitable<Result<void>> start() override { co_return Result<void>{}; }
  boost::asio::awaitable<void> stop(std::chrono::milliseconds) override { co_return; }

  boost::asio::awaitable<Result<jobs::Job>> submit(jobs::JobKind kind, jobs::Json input,
                                                   std::string caller) override {
    std::lock_guard lock(mutex_);
    if (refuse_submits) co_return fail(ErrorCode::kResourceExhausted, "job queue is full");
    jobs::Job job;
    job.id = "job_fake" + std::to_string(jobs_.size() + 1);
    job.kind = kind;
    job.input = std::move(input);
    job.caller = std::move(caller);
    jobs_[job.id] = job;
    submitted.push_back(job);
    co_return job;
  }
  boost::asio::awaitable<Result<jobs::Job>> get(std::string id) override {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return fail(ErrorCode::kNotFound, "job '" + id + "' not found");
    co_return it->second;
  }
  boost::asio::awaitable<Result<jobs::JobPage>> list(jobs::JobQuery) override {
    co_return jobs::JobPage{};
  }
  boost::asio::awaitable<Result<jobs::Job>> cancel(std::string id) override {
    std::unique_lock lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return fail(ErrorCode::kNotFound, "job '" + id + "' not found");
    if (!jobs::is_final(it->second.state)) it->second.state = jobs::JobState::kCancelled;
    jobs::Job job = it->second;
    lock.unlock();
    co_return job;
  }
  boost::asio::awaitable<Result<jobs::Job>> retry(std::string id) override {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return fail(ErrorCode::kNotFound, "job '" + id + "' not found");
    if (it->second.state != jobs::JobState::kFailed &&
        it->second.state != jobs::JobState::kInterrupted) {
      co_return fail(ErrorCode::kFailedPrecondition,
                     "job '" + id + "' is " + std::string(jobs::to_string(it->second.state)) +
                         "; only failed or interrupted jobs can be retried");
    }
    it->second.state = jobs::JobState::kQueued;
    co_return it->second;
  }
  boost::asio::awaitable<Result<std::vector<jobs::JobEvent>>> events(
      std::string id, std::uint64_t after_seq) override {
    std::lock_guard lock(mutex_);
    std::vector<jobs::JobEvent> out;
    for (const auto& event : events_[id]) {
      if (event.seq > after_seq) out.push_back(event);
    }
    co_return out;
  }

  class FakeSubscription : public Subscription {
   public:
    FakeSubscription(FakeJobEngine& engine, std::size_t key) : engine_(engine), key_(key) {}
    ~FakeSubscription() override {
      std::lock_guard lock(engine_.mutex_);
      engine_.watchers_.erase(key_);
    }

   private:
    FakeJobEngine& engine_;
    std::size_t key_;
  };
  std::unique_ptr<Subscription> watch(
      std::string id, std::function<void(const jobs::JobEvent&)> on_event) override {
    std::lock_guard lock(mutex_);
    const std::size_t key = next_key_++;
    watchers_[key] = {std::move(id), std::move(on_event)};
    return std::make_unique<FakeSubscription>(*this, key);
  }
  [[nodiscard]] std::int64_t poll_after_s() const override { return 3; }
  [[nodiscard]] std::size_t queued() const override { return 0; }
  [[nodiscard]] std::size_t running() const override { return 0; }

  // Test side.
  void put(jobs::Job job) {
    std::lock_guard lock(mutex_);
    jobs_[job.id] = std::move(job);
  }
  // Records the job's new state as an event and tells the watchers.
  void publish(jobs::Job job) {
    std::vector<std::function<void(const jobs::JobEvent&)>> targets;
    jobs::JobEvent event;
    {
      std::lock_guard lock(mutex_);
      jobs_[job.id] = job;
      auto& list = events_[job.id];
      event = jobs::JobEvent{job.id, list.size() + 1, job.to_json()};
      list.push_back(event);
      for (auto& [key, watcher] : watchers_) {
        if (watcher.first == job.id) targets.push_back(watcher.second);
      }
    }
    for (auto& target : targets) target(event);
  }
  [[nodiscard]] std::size_t watcher_count() const {
    std::lock_guard lock(mutex_);
    return watchers_.size();
  }

  bool refuse_submits = false;
  std::vector<jobs::Job> submitted;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, jobs::Job> jobs_;
  std::map<std::string, std::vector<jobs::JobEvent>> events_;
  std::map<std::size_t, std::pair<std::string, std::function<void(const jobs::JobEvent&)>>>
      watchers_;
  std::size_t next_key_ = 0;
};

}  // namespace shield::app::testing
