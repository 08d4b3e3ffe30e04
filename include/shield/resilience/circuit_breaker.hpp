#pragma once
// CircuitBreaker: one per backend. It stops calls to a backend that keeps failing, so a dead
// dependency costs callers microseconds instead of a timeout each, and gives it time to
// recover. It knows nothing of HTTP: the caller decides what a failure is (connect errors,
// timeouts, 5xx and 429) and what does not count (other 4xx, cancellation).
//
//   closed    --(failure_threshold failures in a row, or the failure rate)-->  open
//   open      --(open_duration passed on the injected clock)---------------->  half_open
//   half_open --(half_open_probes probe successes)--------------------------->  closed
//   half_open --(one probe failure; the open timer starts afresh)------------>  open
//
// Use, shaped for async callers: try_acquire() before the call; keep the Permit alive across
// the call; record its outcome when the call ends. A Permit destroyed without an outcome
// counts as ignored and gives back its probe slot, so an abandoned call cannot wedge the
// breaker in half-open. Outcomes of calls admitted before the latest transition are ignored
// (a slow failure from before the breaker opened must not extend the open time).
//
// The move from open to half_open happens on the first observation after the open time
// (try_acquire, state, retry_after, snapshot); there is no timer thread.
//
// Threading: every member of CircuitBreaker and Permit is safe from any thread; one mutex
// guards the state and is never held while the listener runs or a log line is written.
// Ownership: the clock, and the BackendMetrics when given, must outlive the breaker.
// Permits may outlive the breaker; their outcomes are then dropped (but an outcome must not
// be recorded while the breaker is being destroyed on another thread).
// Errors: the constructor throws std::invalid_argument for options validate() rejects (a
// start-up mistake); everything else returns values.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "shield/resilience/backend_metrics.hpp"
#include "shield/resilience/breaker_options.hpp"
#include "shield/resilience/breaker_state.hpp"
#include "shield/util/clock.hpp"
#include "shield/util/error.hpp"

namespace shield::resilience {

struct BreakerTransition {
  std::string backend;
  BreakerState from = BreakerState::kClosed;
  BreakerState to = BreakerState::kClosed;
  // Why it happened, for people: "5 consecutive failures, last: connection refused",
  // "open time of 60 s elapsed", "1 probe call(s) succeeded", "probe failed: ...".
  std::string cause;
};

// A consistent copy of the breaker's state, e.g. for /readyz.
struct BreakerSnapshot {
  std::string backend;
  BreakerState state = BreakerState::kClosed;
  BreakerMode mode = BreakerMode::kConsecutiveFailures;
  std::uint32_t consecutive_failures = 0;
  // Failure-rate mode: the calls and failures currently inside the window (0 otherwise).
  std::uint32_t window_calls = 0;
  std::uint32_t window_failures = 0;
  // Time left until half-open; zero unless open. retry_after_s is it rounded up.
  Clock::Duration retry_after{};
  std::int64_t retry_after_s = 0;
  // The reason given with the latest counted failure; empty if there was none yet.
  std::string last_failure;
  // Why the breaker is open ("5 consecutive failures, last: HTTP 503"); empty otherwise.
  std::string open_cause;
  // Wall-clock time of the latest opening, in ms since the Unix epoch; empty if never opened.
  std::optional<std::int64_t> opened_at_unix_ms;
};

class CircuitBreaker {
  struct Core;

 public:
  // Called after every transition, outside the breaker's lock, on the thread that caused it.
  // It may call back into the breaker. It must not block.
  using TransitionListener = std::function<void(const BreakerTransition&)>;

  // The right to make one call. Move-only; records at most one outcome (later ones are
  // no-ops).
  class Permit {
   public:
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit();

    void record_success();
    // `reason` is shown to people: "connection refused", "HTTP 503", "timed out after 5 s".
    void record_failure(std::string reason);
    // The call says nothing about the backend's health: a 4xx, a cancellation.
    void record_ignored();

    // True when this permit is one of the half-open probe calls.
    [[nodiscard]] bool is_probe() const noexcept { return probe_; }

   private:
    friend class CircuitBreaker;
    enum class Outcome { kSuccess, kFailure, kIgnored };
    Permit(std::weak_ptr<Core> core, std::uint64_t epoch, bool probe)
        : core_(std::move(core)), epoch_(epoch), probe_(probe) {}
    void record(Outcome outcome, std::string reason);

    std::weak_ptr<Core> core_;
    std::uint64_t epoch_ = 0;
    bool probe_ = false;
    bool done_ = false;
  };

  // `backend` names the breaker in messages, logs and metrics ("qdrant"). `metrics` may be
  // null (no metrics); otherwise it is set to closed here, before any call.
  CircuitBreaker(std::string backend, BreakerOptions options, const Clock& clock,
                 BackendMetrics* metrics = nullptr, TransitionListener listener = {});
  ~CircuitBreaker();
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // A permit, or kUnavailable when the breaker refuses the call: open (the message gives the
  // cause, the last failure and the seconds left, e.g. "circuit breaker for qdrant is open
  // (5 consecutive failures, last: connection refused); retrying in 42 s"), or half-open
  // with every probe slot taken. Each refusal counts in circuit_breaker_rejected_calls_total.
  // The structured fields behind the message are in snapshot().
  [[nodiscard]] Result<Permit> try_acquire();

  [[nodiscard]] BreakerState state() const;
  [[nodiscard]] std::uint32_t consecutive_failures() const;
  // Time left until half-open; zero unless open.
  [[nodiscard]] Clock::Duration retry_after() const;
  [[nodiscard]] std::string last_failure() const;
  [[nodiscard]] BreakerSnapshot snapshot() const;

  [[nodiscard]] const std::string& backend() const noexcept;
  [[nodiscard]] const BreakerOptions& options() const noexcept;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace shield::resilience
