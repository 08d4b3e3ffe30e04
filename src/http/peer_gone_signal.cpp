#include "peer_gone_signal.hpp"

namespace shield::http::detail {

void PeerGoneSignal::settle() {
  std::function<void()> dropped;
  std::lock_guard lock(mutex_);
  if (fired_) return;
  settled_ = true;
  dropped.swap(callback_);
}

void PeerGoneSignal::fire() {
  std::function<void()> callback;
  {
    std::lock_guard lock(mutex_);
    if (settled_ || fired_) return;
    fired_ = true;
    callback.swap(callback_);
  }
  if (callback) callback();
}

void PeerGoneSignal::subscribe(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (settled_) return;
    if (!fired_) {
      callback_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();
}

bool PeerGoneSignal::fired() const {
  std::lock_guard lock(mutex_);
  return fired_;
}

}  // namespace shield::http::detail
