#include "shield/util/cancellation.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

namespace shield {

struct CancellationSource::State {
  std::atomic<bool> cancelled{false};
  std::mutex mutex;
  std::string reason;
  std::size_t next_id = 1;
  std::map<std::size_t, std::function<void()>> callbacks;
};

CancellationSource::CancellationSource() : state_(std::make_shared<State>()) {}

void CancellationSource::cancel(std::string reason) {
  std::vector<std::function<void()>> to_run;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->cancelled.load()) return;
    state_->reason = std::move(reason);
    state_->cancelled.store(true);
    for (auto& [id, cb] : state_->callbacks) to_run.push_back(std::move(cb));
    state_->callbacks.clear();
  }
  // Outside the lock: a callback may register or forget on the same token.
  for (auto& cb : to_run) cb();
}

bool CancellationSource::cancelled() const noexcept {
  return state_->cancelled.load();
}

CancellationToken CancellationSource::token() const {
  return CancellationToken(state_);
}

bool CancellationToken::cancelled() const noexcept {
  return state_ && state_->cancelled.load();
}

std::string CancellationToken::reason() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->reason;
}

std::size_t CancellationToken::on_cancel(std::function<void()> callback) const {
  if (!state_) return 0;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->cancelled.load()) {
      auto id = state_->next_id++;
      state_->callbacks.emplace(id, std::move(callback));
      return id;
    }
  }
  callback();
  return 0;
}

void CancellationToken::forget(std::size_t id) const {
  if (!state_ || id == 0) return;
  std::lock_guard lock(state_->mutex);
  state_->callbacks.erase(id);
}

}  // namespace shield
