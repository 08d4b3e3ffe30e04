#include "job_watchers.hpp"

#include <vector>

namespace shield::jobs::detail {

class JobWatchers::Handle final : public JobEngine::Subscription {
 public:
  Handle(std::weak_ptr<JobWatchers> owner, std::string job_id, std::uint64_t key)
      : owner_(std::move(owner)), job_id_(std::move(job_id)), key_(key) {}
  ~Handle() override {
    if (auto owner = owner_.lock()) owner->remove(job_id_, key_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

 private:
  std::weak_ptr<JobWatchers> owner_;
  std::string job_id_;
  std::uint64_t key_;
};

std::unique_ptr<JobEngine::Subscription> JobWatchers::add(std::string job_id, Callback callback) {
  std::uint64_t key = 0;
  {
    const std::lock_guard lock(mutex_);
    key = next_key_++;
    by_job_[job_id].emplace(key, std::make_shared<const Callback>(std::move(callback)));
  }
  return std::make_unique<Handle>(weak_from_this(), std::move(job_id), key);
}

void JobWatchers::remove(const std::string& job_id, std::uint64_t key) {
  const std::lock_guard lock(mutex_);
  const auto found = by_job_.find(job_id);
  if (found == by_job_.end()) return;
  found->second.erase(key);
  if (found->second.empty()) by_job_.erase(found);
}

void JobWatchers::publish(const JobEvent& event) const {
  std::vector<std::shared_ptr<const Callback>> targets;
  {
    const std::lock_guard lock(mutex_);
    const auto found = by_job_.find(event.job_id);
    if (found == by_job_.end()) return;
    for (const auto& [key, callback] : found->second) targets.push_back(callback);
  }
  for (const auto& callback : targets) {
    // A watcher's failure is its own: it must not abort the journal write that published.
    try {
      (*callback)(event);
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
  }
}

}  // namespace shield::jobs::detail
