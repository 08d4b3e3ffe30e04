#include "shield/resilience/circuit_breaker.hpp"

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "failure_rate_window.hpp"
#include "shield/util/logging.hpp"

namespace shield::resilience {
namespace {

using Pending = std::vector<BreakerTransition>;

double seconds(Clock::Duration d) {
  return std::chrono::duration<double>(d).count();
}

// Rounded up, so "retrying in 0 s" never shows while the breaker is still open.
std::int64_t whole_seconds_up(Clock::Duration d) {
  return std::chrono::ceil<std::chrono::seconds>(d).count();
}

std::string failure_reason(std::string reason) {
  return reason.empty() ? std::string("unspecified failure") : std::move(reason);
}

}  // namespace

struct CircuitBreaker::Core {
  Core(std::string backend_name, BreakerOptions opts, const Clock& clk, BackendMetrics* m,
       TransitionListener l)
      : backend(std::move(backend_name)),
        options(opts),
        clock(clk),
        metrics(m),
        listener(std::move(l)),
        window(opts.window) {}

  enum class Outcome { kSuccess, kFailure, kIgnored };

  const std::string backend;
  const BreakerOptions options;
  const Clock& clock;
  BackendMetrics* const metrics;
  const TransitionListener listener;

  std::mutex mutex;
  BreakerState state = BreakerState::kClosed;
  // Bumped on every transition; a permit from an older epoch no longer speaks for the
  // current state.
  std::uint64_t epoch = 0;
  std::uint32_t consecutive_failures = 0;
  std::string last_failure;
  std::string open_cause;
  Clock::TimePoint opened_at{};
  std::optional<std::int64_t> opened_at_unix_ms;
  std::uint32_t probes_in_flight = 0;
  std::uint32_t probe_successes = 0;
  FailureRateWindow window;

  // Everything below expects `mutex` held.

  void transition(BreakerState to, Clock::TimePoint now, std::string cause, Pending& pending) {
    const BreakerState from = state;
    state = to;
    ++epoch;
    probes_in_flight = 0;
    probe_successes = 0;
    switch (to) {
      case BreakerState::kOpen:
        opened_at = now;
        opened_at_unix_ms = clock.unix_millis();
        open_cause = cause;
        break;
      case BreakerState::kHalfOpen:
        break;
      case BreakerState::kClosed:
        consecutive_failures = 0;
        open_cause.clear();
        window.reset();
        break;
    }
    if (metrics != nullptr) {
      metrics->set_state(to);
      metrics->record_transition(to);
    }
    pending.push_back(BreakerTransition{backend, from, to, std::move(cause)});
  }

  void advance(Clock::TimePoint now, Pending& pending) {
    if (state == BreakerState::kOpen && now - opened_at >= options.open_duration) {
      transition(BreakerState::kHalfOpen, now,
                 fmt::format("open time of {:g} s elapsed", seconds(options.open_duration)),
                 pending);
    }
  }

  [[nodiscard]] Clock::Duration retry_after(Clock::TimePoint now) const {
    if (state != BreakerState::kOpen) return Clock::Duration::zero();
    const Clock::Duration left = opened_at + options.open_duration - now;
    return left > Clock::Duration::zero() ? left : Clock::Duration::zero();
  }

  [[nodiscard]] std::string consecutive_cause() const {
    return fmt::format("{} consecutive failure{}, last: {}", consecutive_failures,
                       consecutive_failures == 1 ? "" : "s", last_failure);
  }

  void evaluate_rate(Clock::TimePoint now, Pending& pending) {
    const FailureRateWindow::Totals totals = window.totals(now);
    if (totals.calls < options.minimum_calls) return;
    const double rate = 100.0 * totals.failures / totals.calls;
    if (rate < options.failure_rate_threshold) return;
    transition(
        BreakerState::kOpen, now,
        fmt::format("{} of {} calls failed within {:g} s ({:.0f}%), last: {}", totals.failures,
                    totals.calls, seconds(options.window), rate, last_failure),
        pending);
  }

  void on_closed_outcome(Outcome outcome, std::string reason, Clock::TimePoint now,
                         Pending& pending) {
    if (outcome == Outcome::kIgnored) return;
    const bool failed = outcome == Outcome::kFailure;
    if (failed) {
      ++consecutive_failures;
      last_failure = failure_reason(std::move(reason));
    } else {
      consecutive_failures = 0;
    }
    if (options.mode == BreakerMode::kFailureRate) {
      window.record(now, failed);
      evaluate_rate(now, pending);
    } else if (failed && consecutive_failures >= options.failure_threshold) {
      transition(BreakerState::kOpen, now, consecutive_cause(), pending);
    }
  }

  void on_probe_outcome(Outcome outcome, std::string reason, Clock::TimePoint now,
                        Pending& pending) {
    if (probes_in_flight > 0) --probes_in_flight;
    switch (outcome) {
      case Outcome::kIgnored:
        return;
      case Outcome::kSuccess:
        consecutive_failures = 0;
        if (++probe_successes >= options.half_open_probes) {
          transition(BreakerState::kClosed, now,
                     fmt::format("{} probe call{} succeeded", probe_successes,
                                 probe_successes == 1 ? "" : "s"),
                     pending);
        }
        return;
      case Outcome::kFailure:
        ++consecutive_failures;
        last_failure = failure_reason(std::move(reason));
        transition(BreakerState::kOpen, now, "probe call failed: " + consecutive_cause(), pending);
        return;
    }
  }

  // Takes the lock itself.
  void on_outcome(std::uint64_t permit_epoch, Outcome outcome, std::string reason) {
    Pending pending;
    {
      std::lock_guard lock(mutex);
      const Clock::TimePoint now = clock.now();
      advance(now, pending);
      if (permit_epoch == epoch) {
        if (state == BreakerState::kClosed) {
          on_closed_outcome(outcome, std::move(reason), now, pending);
        } else if (state == BreakerState::kHalfOpen) {
          on_probe_outcome(outcome, std::move(reason), now, pending);
        }
      }
    }
    publish(pending);
  }

  // Called without the lock: the listener may call back into the breaker.
  void publish(const Pending& pending) const {
    if (pending.empty()) return;
    auto log = named_logger("resilience");
    for (const BreakerTransition& t : pending) {
      if (t.to == BreakerState::kOpen) {
        log->warn("circuit breaker {} {} -> open: {}; probing again in {:g} s", t.backend,
                  to_string(t.from), t.cause, seconds(options.open_duration));
      } else {
        log->info("circuit breaker {} {} -> {}: {}", t.backend, to_string(t.from), to_string(t.to),
                  t.cause);
      }
      if (listener) listener(t);
    }
  }
};

CircuitBreaker::Permit::Permit(Permit&& other) noexcept
    : core_(std::move(other.core_)),
      epoch_(other.epoch_),
      probe_(other.probe_),
      done_(std::exchange(other.done_, true)) {}

CircuitBreaker::Permit& CircuitBreaker::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    record(Outcome::kIgnored, {});
    core_ = std::move(other.core_);
    epoch_ = other.epoch_;
    probe_ = other.probe_;
    done_ = std::exchange(other.done_, true);
  }
  return *this;
}

CircuitBreaker::Permit::~Permit() {
  record(Outcome::kIgnored, {});
}

void CircuitBreaker::Permit::record_success() {
  record(Outcome::kSuccess, {});
}

void CircuitBreaker::Permit::record_failure(std::string reason) {
  record(Outcome::kFailure, std::move(reason));
}

void CircuitBreaker::Permit::record_ignored() {
  record(Outcome::kIgnored, {});
}

void CircuitBreaker::Permit::record(Outcome outcome, std::string reason) {
  if (done_) return;
  done_ = true;
  const std::shared_ptr<Core> core = std::exchange(core_, {}).lock();
  if (!core) return;
  Core::Outcome mapped = Core::Outcome::kIgnored;
  if (outcome == Outcome::kSuccess) mapped = Core::Outcome::kSuccess;
  if (outcome == Outcome::kFailure) mapped = Core::Outcome::kFailure;
  core->on_outcome(epoch_, mapped, std::move(reason));
}

CircuitBreaker::CircuitBreaker(std::string backend, BreakerOptions options, const Clock& clock,
                               BackendMetrics* metrics, TransitionListener listener) {
  if (auto valid = validate(options); !valid) {
    throw std::invalid_argument("backend " + backend + ": " + valid.error().message);
  }
  core_ = std::make_shared<Core>(std::move(backend), options, clock, metrics, std::move(listener));
  if (metrics != nullptr) metrics->set_state(BreakerState::kClosed);
}

CircuitBreaker::~CircuitBreaker() = default;

Result<CircuitBreaker::Permit> CircuitBreaker::try_acquire() {
  Pending pending;
  Result<Permit> result = fail(ErrorCode::kInternal, "unreachable");
  {
    std::lock_guard lock(core_->mutex);
    Core& c = *core_;
    const Clock::TimePoint now = c.clock.now();
    c.advance(now, pending);
    switch (c.state) {
      case BreakerState::kClosed:
        result = Permit(core_, c.epoch, false);
        break;
      case BreakerState::kHalfOpen:
        if (c.probes_in_flight + c.probe_successes < c.options.half_open_probes) {
          ++c.probes_in_flight;
          result = Permit(core_, c.epoch, true);
        } else {
          result =
              fail(ErrorCode::kUnavailable,
                   fmt::format("circuit breaker for {} is half-open and its {} probe "
                               "call{} already in progress (last: {}); try again shortly",
                               c.backend, c.options.half_open_probes,
                               c.options.half_open_probes == 1 ? " is" : "s are", c.last_failure));
        }
        break;
      case BreakerState::kOpen:
        result = fail(ErrorCode::kUnavailable,
                      fmt::format("circuit breaker for {} is open ({}); retrying in {} s",
                                  c.backend, c.open_cause, whole_seconds_up(c.retry_after(now))));
        break;
    }
    if (!result && c.metrics != nullptr) c.metrics->record_rejected();
  }
  core_->publish(pending);
  return result;
}

BreakerState CircuitBreaker::state() const {
  return snapshot().state;
}

std::uint32_t CircuitBreaker::consecutive_failures() const {
  return snapshot().consecutive_failures;
}

Clock::Duration CircuitBreaker::retry_after() const {
  return snapshot().retry_after;
}

std::string CircuitBreaker::last_failure() const {
  return snapshot().last_failure;
}

BreakerSnapshot CircuitBreaker::snapshot() const {
  Pending pending;
  BreakerSnapshot s;
  {
    std::lock_guard lock(core_->mutex);
    const Core& c = *core_;
    const Clock::TimePoint now = c.clock.now();
    core_->advance(now, pending);
    s.backend = c.backend;
    s.state = c.state;
    s.mode = c.options.mode;
    s.consecutive_failures = c.consecutive_failures;
    if (c.options.mode == BreakerMode::kFailureRate) {
      const FailureRateWindow::Totals totals = c.window.totals(now);
      s.window_calls = totals.calls;
      s.window_failures = totals.failures;
    }
    s.retry_after = c.retry_after(now);
    s.retry_after_s = whole_seconds_up(s.retry_after);
    s.last_failure = c.last_failure;
    s.open_cause = c.open_cause;
    s.opened_at_unix_ms = c.opened_at_unix_ms;
  }
  core_->publish(pending);
  return s;
}

const std::string& CircuitBreaker::backend() const noexcept {
  return core_->backend;
}

const BreakerOptions& CircuitBreaker::options() const noexcept {
  return core_->options;
}

}  // namespace shield::resilience
