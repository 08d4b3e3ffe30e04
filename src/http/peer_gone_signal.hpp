#pragma once
// Whether the peer left before an exchange was settled (answered, or its stream closed).
// Shared by the handler-facing Exchange (any thread) and the connection (its strand).
// Threading: every member is safe from any thread; the callback runs once, outside the
// lock, on the thread that fires or (when already fired) on the subscribing thread.
#include <functional>
#include <mutex>

namespace shield::http::detail {

class PeerGoneSignal {
 public:
  // The exchange is answered: a later departure of the peer is not news to the handler.
  void settle();
  // The peer went away (or the connection was closed) before settle().
  void fire();
  void subscribe(std::function<void()> callback);
  [[nodiscard]] bool fired() const;

 private:
  mutable std::mutex mutex_;
  bool settled_ = false;
  bool fired_ = false;
  std::function<void()> callback_;
};

}  // namespace shield::http::detail
