#pragma once
// CancellationSource / CancellationToken: one long operation, many observers.
// Threading: every member is safe to call from any thread. Callbacks run exactly once,
// on the thread that trips the source (or immediately, on the registering thread, when
// the source has already been tripped). Callbacks must not block.
#include <functional>
#include <memory>
#include <string>

namespace shield {

class CancellationToken;

class CancellationSource {
 public:
  CancellationSource();
  // Trips the source; the first reason wins. Later calls are no-ops.
  void cancel(std::string reason = "cancelled");
  [[nodiscard]] bool cancelled() const noexcept;
  [[nodiscard]] CancellationToken token() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  friend class CancellationToken;
};

class CancellationToken {
 public:
  // A token that can never be cancelled.
  CancellationToken() = default;
  [[nodiscard]] bool cancelled() const noexcept;
  [[nodiscard]] std::string reason() const;
  // Runs `callback` once on cancellation. Returns an id usable with `forget`.
  std::size_t on_cancel(std::function<void()> callback) const;
  void forget(std::size_t id) const;

 private:
  explicit CancellationToken(std::shared_ptr<CancellationSource::State> state)
      : state_(std::move(state)) {}
  std::shared_ptr<CancellationSource::State> state_;
  friend class CancellationSource;
};

}  // namespace shield
