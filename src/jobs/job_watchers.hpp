#pragma once
// Internal to the jobs module: who watches which job. The journal thread publishes each
// event right after its commit, so one job's events reach a watcher in seq order.
// Threading: every method is safe from any thread. Callbacks run on the publishing thread,
// outside the lock, so a callback may drop its own subscription.
// Ownership: a Subscription holds the registry weakly; it may outlive the engine.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "shield/jobs/job_engine.hpp"

namespace shield::jobs::detail {

class JobWatchers : public std::enable_shared_from_this<JobWatchers> {
 public:
  using Callback = std::function<void(const JobEvent&)>;

  [[nodiscard]] std::unique_ptr<JobEngine::Subscription> add(std::string job_id, Callback callback);
  void publish(const JobEvent& event) const;

 private:
  class Handle;
  void remove(const std::string& job_id, std::uint64_t key);

  mutable std::mutex mutex_;
  std::uint64_t next_key_ = 1;
  std::unordered_map<std::string, std::map<std::uint64_t, std::shared_ptr<const Callback>>> by_job_;
};

}  // namespace shield::jobs::detail
