// The breaker's state machine, driven step by step on a ManualClock. After every step the
// test checks the state AND what a Prometheus scrape would show, in the manner of
// resilience4j's CircuitBreakerStateMachineTest.
#include "shield/resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "shield/metrics/metrics.hpp"
#include "unit/resilience/metric_reader.hpp"

namespace shield::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test_support::read_metric;

// What the exposition should say about one backend after a step.
struct Expected {
  BreakerState state = BreakerState::kClosed;
  double to_open = 0;
  double to_half_open = 0;
  double to_closed = 0;
  double rejected = 0;
};

class CircuitBreakerTest : public ::testing::Test {
 protected:
  explicit CircuitBreakerTest(BreakerOptions options = {}) : options_(options) {}

  CircuitBreaker& breaker() {
    if (!breaker_) {
      breaker_ = std::make_unique<CircuitBreaker>(
          "qdrant", options_, clock_, &backend_metrics_,
          [this](const BreakerTransition& t) { transitions_.push_back(t); });
    }
    return *breaker_;
  }

  void fail(const std::string& reason = "connection refused") {
    auto permit = breaker().try_acquire();
    ASSERT_TRUE(permit) << permit.error().message;
    permit->record_failure(reason);
  }

  void succeed() {
    auto permit = breaker().try_acquire();
    ASSERT_TRUE(permit) << permit.error().message;
    permit->record_success();
  }

  void ignore() {
    auto permit = breaker().try_acquire();
    ASSERT_TRUE(permit) << permit.error().message;
    permit->record_ignored();
  }

  void open_breaker() {
    for (int i = 0; i < 5; ++i) fail();
    ASSERT_EQ(breaker().state(), BreakerState::kOpen);
  }

  double metric(const std::string& family, test_support::Labels labels) {
    labels.emplace("backend", "qdrant");
    const std::optional<double> value = read_metric(metrics_.registry(), family, labels);
    EXPECT_TRUE(value.has_value()) << family << " has no series for these labels";
    return value.value_or(-1);
  }

  // Reads the state first: that is what moves an expired open breaker to half-open.
  void expect(const Expected& e) {
    EXPECT_EQ(breaker().state(), e.state);
    EXPECT_EQ(metric("circuit_breaker_state", {}), static_cast<double>(e.state));
    EXPECT_EQ(metric("circuit_breaker_transitions_total", {{"to", "open"}}), e.to_open);
    EXPECT_EQ(metric("circuit_breaker_transitions_total", {{"to", "half_open"}}), e.to_half_open);
    EXPECT_EQ(metric("circuit_breaker_transitions_total", {{"to", "closed"}}), e.to_closed);
    EXPECT_EQ(metric("circuit_breaker_rejected_calls_total", {}), e.rejected);
  }

  BreakerOptions options_;
  ManualClock clock_;
  metrics::Metrics metrics_{"test"};
  BackendMetrics backend_metrics_{metrics_.registry(), "qdrant"};
  std::vector<BreakerTransition> transitions_;
  std::unique_ptr<CircuitBreaker> breaker_;
};

TEST_F(CircuitBreakerTest, StartsClosedWithEverySeriesExported) {
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().consecutive_failures(), 0U);
  EXPECT_EQ(breaker().retry_after(), Clock::Duration::zero());
  EXPECT_EQ(breaker().last_failure(), "");
  EXPECT_FALSE(breaker().snapshot().opened_at_unix_ms.has_value());
  for (BackendOutcome outcome : kAllBackendOutcomes) {
    EXPECT_EQ(metric("backend_requests_total", {{"outcome", std::string(to_string(outcome))}}), 0);
  }
  EXPECT_EQ(metric("backend_request_duration_seconds", {}), 0);
  EXPECT_TRUE(transitions_.empty());
}

TEST_F(CircuitBreakerTest, OpensAfterExactlyFiveConsecutiveFailures) {
  for (std::uint32_t i = 1; i <= 4; ++i) {
    SCOPED_TRACE(i);
    fail();
    expect({BreakerState::kClosed});
    EXPECT_EQ(breaker().consecutive_failures(), i);
  }
  clock_.advance(seconds(3));
  fail("HTTP 503");
  expect({BreakerState::kOpen, 1});
  EXPECT_EQ(breaker().consecutive_failures(), 5U);
  EXPECT_EQ(breaker().last_failure(), "HTTP 503");
  EXPECT_EQ(breaker().snapshot().opened_at_unix_ms, 1'700'000'003'000);
  ASSERT_EQ(transitions_.size(), 1U);
  EXPECT_EQ(transitions_[0].backend, "qdrant");
  EXPECT_EQ(transitions_[0].from, BreakerState::kClosed);
  EXPECT_EQ(transitions_[0].to, BreakerState::kOpen);
  EXPECT_EQ(transitions_[0].cause, "5 consecutive failures, last: HTTP 503");
}

TEST_F(CircuitBreakerTest, SuccessInBetweenResetsTheRun) {
  for (int i = 0; i < 4; ++i) fail();
  succeed();
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().consecutive_failures(), 0U);
  for (int i = 0; i < 4; ++i) fail();
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().consecutive_failures(), 4U);
  fail();
  expect({BreakerState::kOpen, 1});
}

TEST_F(CircuitBreakerTest, RejectsWhileOpenWithShrinkingRetryAfter) {
  open_breaker();

  auto refused = breaker().try_acquire();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message,
            "circuit breaker for qdrant is open (5 consecutive failures, last: connection "
            "refused); retrying in 60 s");
  EXPECT_EQ(breaker().retry_after(), seconds(60));
  expect({BreakerState::kOpen, 1, 0, 0, 1});

  clock_.advance(seconds(20));
  refused = breaker().try_acquire();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("retrying in 40 s"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(breaker().retry_after(), seconds(40));
  expect({BreakerState::kOpen, 1, 0, 0, 2});

  clock_.advance(milliseconds(39'500));
  refused = breaker().try_acquire();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("retrying in 1 s"), std::string::npos)
      << refused.error().message;
  const BreakerSnapshot snap = breaker().snapshot();
  EXPECT_EQ(snap.retry_after, milliseconds(500));
  EXPECT_EQ(snap.retry_after_s, 1);
  EXPECT_EQ(snap.open_cause, "5 consecutive failures, last: connection refused");
  EXPECT_EQ(snap.last_failure, "connection refused");
  EXPECT_EQ(snap.consecutive_failures, 5U);
  expect({BreakerState::kOpen, 1, 0, 0, 3});
}

TEST_F(CircuitBreakerTest, HalfOpenExactlyWhenTheOpenTimeHasPassed) {
  open_breaker();
  clock_.advance(seconds(60) - milliseconds(1));
  expect({BreakerState::kOpen, 1});
  EXPECT_EQ(breaker().retry_after(), milliseconds(1));

  clock_.advance(milliseconds(1));
  expect({BreakerState::kHalfOpen, 1, 1});
  EXPECT_EQ(breaker().retry_after(), Clock::Duration::zero());
  EXPECT_EQ(breaker().snapshot().retry_after_s, 0);
  ASSERT_EQ(transitions_.size(), 2U);
  EXPECT_EQ(transitions_[1].from, BreakerState::kOpen);
  EXPECT_EQ(transitions_[1].to, BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, ProbeSuccessCloses) {
  open_breaker();
  clock_.advance(seconds(60));
  auto probe = breaker().try_acquire();
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe->is_probe());
  expect({BreakerState::kHalfOpen, 1, 1});

  auto second = breaker().try_acquire();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(second.error().message,
            "circuit breaker for qdrant is half-open and its 1 probe call is already in "
            "progress (last: connection refused); try again shortly");
  expect({BreakerState::kHalfOpen, 1, 1, 0, 1});

  probe->record_success();
  expect({BreakerState::kClosed, 1, 1, 1, 1});
  EXPECT_EQ(breaker().consecutive_failures(), 0U);
  EXPECT_EQ(breaker().snapshot().open_cause, "");
  ASSERT_EQ(transitions_.size(), 3U);
  EXPECT_EQ(transitions_[2].cause, "1 probe call succeeded");

  auto next = breaker().try_acquire();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->is_probe());
  next->record_success();
  for (int i = 0; i < 4; ++i) fail();
  expect({BreakerState::kClosed, 1, 1, 1, 1});
}

TEST_F(CircuitBreakerTest, ProbeFailureReopensWithAFreshTimer) {
  open_breaker();
  clock_.advance(seconds(60));
  expect({BreakerState::kHalfOpen, 1, 1});

  clock_.advance(seconds(5));
  fail("HTTP 502");
  expect({BreakerState::kOpen, 2, 1});
  EXPECT_EQ(breaker().retry_after(), seconds(60));
  EXPECT_EQ(breaker().last_failure(), "HTTP 502");
  EXPECT_EQ(breaker().consecutive_failures(), 6U);
  EXPECT_EQ(breaker().snapshot().opened_at_unix_ms, 1'700'000'065'000);
  auto refused = breaker().try_acquire();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "circuit breaker for qdrant is open (probe call failed: 6 consecutive failures, "
            "last: HTTP 502); retrying in 60 s");
  expect({BreakerState::kOpen, 2, 1, 0, 1});

  clock_.advance(seconds(60) - milliseconds(1));
  expect({BreakerState::kOpen, 2, 1, 0, 1});
  clock_.advance(milliseconds(1));
  expect({BreakerState::kHalfOpen, 2, 2, 0, 1});
}

TEST_F(CircuitBreakerTest, IgnoredOutcomesNeitherCountNorReset) {
  for (int i = 0; i < 10; ++i) ignore();
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().consecutive_failures(), 0U);

  for (int i = 0; i < 4; ++i) fail();
  for (int i = 0; i < 10; ++i) ignore();
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().consecutive_failures(), 4U);
  fail();
  expect({BreakerState::kOpen, 1});
}

TEST_F(CircuitBreakerTest, IgnoredProbeFreesItsSlotAndKeepsHalfOpen) {
  open_breaker();
  clock_.advance(seconds(60));
  ignore();
  expect({BreakerState::kHalfOpen, 1, 1});
  auto probe = breaker().try_acquire();
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe->is_probe());
  probe->record_success();
  expect({BreakerState::kClosed, 1, 1, 1});
}

TEST_F(CircuitBreakerTest, DroppedPermitFreesItsProbeSlot) {
  open_breaker();
  clock_.advance(seconds(60));
  {
    auto probe = breaker().try_acquire();
    ASSERT_TRUE(probe);
  }
  expect({BreakerState::kHalfOpen, 1, 1});

  auto probe = breaker().try_acquire();
  ASSERT_TRUE(probe);
  std::optional<CircuitBreaker::Permit> moved(std::move(*probe));
  probe = shield::fail(ErrorCode::kInternal, "gone");  // destroys the moved-from permit
  EXPECT_FALSE(breaker().try_acquire()) << "the moved-to permit still holds the slot";
  expect({BreakerState::kHalfOpen, 1, 1, 0, 1});

  moved.reset();
  auto again = breaker().try_acquire();
  ASSERT_TRUE(again);
  again->record_failure("connection reset");
  expect({BreakerState::kOpen, 2, 1, 0, 1});
}

TEST_F(CircuitBreakerTest, RecordingTwiceCountsOnce) {
  auto permit = breaker().try_acquire();
  ASSERT_TRUE(permit);
  permit->record_failure("first");
  permit->record_failure("second");
  permit->record_success();
  EXPECT_EQ(breaker().consecutive_failures(), 1U);
  EXPECT_EQ(breaker().last_failure(), "first");
}

TEST_F(CircuitBreakerTest, OutcomesFromBeforeATransitionAreIgnored) {
  std::vector<CircuitBreaker::Permit> slow;
  for (int i = 0; i < 2; ++i) {
    auto permit = breaker().try_acquire();
    ASSERT_TRUE(permit);
    slow.push_back(std::move(*permit));
  }
  open_breaker();
  slow[0].record_success();
  expect({BreakerState::kOpen, 1});
  EXPECT_EQ(breaker().retry_after(), seconds(60));

  clock_.advance(seconds(60));
  slow[1].record_failure("late timeout");
  expect({BreakerState::kHalfOpen, 1, 1});
  EXPECT_EQ(breaker().last_failure(), "connection refused");
  auto probe = breaker().try_acquire();
  ASSERT_TRUE(probe) << "a stale outcome must not take or free a probe slot";
}

TEST_F(CircuitBreakerTest, TransitionsCountEveryStateEntered) {
  open_breaker();
  clock_.advance(seconds(60));
  fail();  // probe fails
  clock_.advance(seconds(60));
  succeed();  // probe succeeds
  expect({BreakerState::kClosed, 2, 2, 1});
  open_breaker();
  expect({BreakerState::kOpen, 3, 2, 1});

  std::vector<std::pair<BreakerState, BreakerState>> seen;
  for (const auto& t : transitions_) seen.emplace_back(t.from, t.to);
  using S = BreakerState;
  const std::vector<std::pair<S, S>> want = {{S::kClosed, S::kOpen},     {S::kOpen, S::kHalfOpen},
                                             {S::kHalfOpen, S::kOpen},   {S::kOpen, S::kHalfOpen},
                                             {S::kHalfOpen, S::kClosed}, {S::kClosed, S::kOpen}};
  EXPECT_EQ(seen, want);
}

TEST_F(CircuitBreakerTest, PermitMayOutliveTheBreaker) {
  auto permit = breaker().try_acquire();
  ASSERT_TRUE(permit);
  breaker_.reset();
  permit->record_failure("after shutdown");
  SUCCEED();
}

TEST_F(CircuitBreakerTest, ListenerMayCallBackIntoTheBreaker) {
  std::vector<BreakerState> seen_inside;
  CircuitBreaker* self = nullptr;
  CircuitBreaker b("qdrant", {}, clock_, nullptr, [&](const BreakerTransition&) {
    seen_inside.push_back(self->state());
    (void)self->snapshot();
  });
  self = &b;
  for (int i = 0; i < 5; ++i) b.try_acquire()->record_failure("down");
  clock_.advance(seconds(60));
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(seen_inside, (std::vector{BreakerState::kOpen, BreakerState::kHalfOpen}));
}

class ThreeProbeBreakerTest : public CircuitBreakerTest {
 protected:
  ThreeProbeBreakerTest()
      : CircuitBreakerTest(BreakerOptions{.open_duration = seconds(10), .half_open_probes = 3}) {}
};

TEST_F(ThreeProbeBreakerTest, ConcurrentCallersWhileHalfOpenGetOnlyTheProbeSlots) {
  open_breaker();
  clock_.advance(seconds(10));
  constexpr int kCallers = 8;
  std::vector<std::optional<Result<CircuitBreaker::Permit>>> results(kCallers);
  std::latch start(kCallers);
  std::vector<std::thread> callers;
  callers.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      start.arrive_and_wait();
      results[static_cast<std::size_t>(i)].emplace(breaker().try_acquire());
    });
  }
  for (auto& t : callers) t.join();

  int granted = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    if (r->has_value()) {
      ++granted;
      EXPECT_TRUE((*r)->is_probe());
    } else {
      EXPECT_EQ(r->error().code, ErrorCode::kUnavailable);
      EXPECT_NE(r->error().message.find("its 3 probe calls are already in progress"),
                std::string::npos)
          << r->error().message;
    }
  }
  EXPECT_EQ(granted, 3);
  expect({BreakerState::kHalfOpen, 1, 1, 0, kCallers - 3});

  // Two probes succeed: not yet enough to close, and their slots stay spent.
  int recorded = 0;
  for (auto& r : results) {
    if (r->has_value() && recorded < 2) {
      (*r)->record_success();
      ++recorded;
    }
  }
  expect({BreakerState::kHalfOpen, 1, 1, 0, kCallers - 3});
  EXPECT_FALSE(breaker().try_acquire());
  // The third probe is abandoned: its slot comes back, and one more success closes.
  results.clear();
  auto last = breaker().try_acquire();
  ASSERT_TRUE(last);
  last->record_success();
  expect({BreakerState::kClosed, 1, 1, 1, kCallers - 2});
  ASSERT_FALSE(transitions_.empty());
  EXPECT_EQ(transitions_.back().cause, "3 probe calls succeeded");
}

TEST_F(ThreeProbeBreakerTest, ConcurrentFailuresOpenOnceAndKeepCountsExact) {
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 500;
  CircuitBreaker& b = breaker();
  std::atomic<int> granted{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kCallsEach; ++i) {
        auto permit = b.try_acquire();
        if (!permit) continue;
        granted.fetch_add(1);
        permit->record_failure("down");
      }
    });
  }
  for (auto& t : threads) t.join();
  // The fifth failure opens it; at most one permit per other thread was already out.
  EXPECT_GE(granted.load(), 5);
  EXPECT_LE(granted.load(), 5 + kThreads - 1);
  expect(
      {BreakerState::kOpen, 1, 0, 0, static_cast<double>(kThreads * kCallsEach - granted.load())});
  EXPECT_EQ(b.consecutive_failures(), 5U);
}

class FailureRateBreakerTest : public CircuitBreakerTest {
 protected:
  FailureRateBreakerTest()
      : CircuitBreakerTest(BreakerOptions{.mode = BreakerMode::kFailureRate,
                                          .failure_rate_threshold = 50.0,
                                          .minimum_calls = 4,
                                          .window = seconds(10)}) {}
};

TEST_F(FailureRateBreakerTest, NeedsTheMinimumNumberOfCalls) {
  for (int i = 0; i < 3; ++i) fail("HTTP 500");
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().snapshot().window_calls, 3U);
  EXPECT_EQ(breaker().snapshot().window_failures, 3U);
  succeed();  // 3 of 4 failed: 75% >= 50%
  expect({BreakerState::kOpen, 1});
  EXPECT_EQ(breaker().snapshot().open_cause,
            "3 of 4 calls failed within 10 s (75%), last: HTTP 500");
}

TEST_F(FailureRateBreakerTest, OpensAtTheThresholdNotBelow) {
  succeed();
  succeed();
  fail("HTTP 500");
  succeed();  // 1 of 4: 25%
  expect({BreakerState::kClosed});
  fail("HTTP 500");  // 2 of 5: 40%
  expect({BreakerState::kClosed});
  fail("HTTP 503");  // 3 of 6: 50%
  expect({BreakerState::kOpen, 1});
  ASSERT_FALSE(transitions_.empty());
  EXPECT_EQ(transitions_.back().cause, "3 of 6 calls failed within 10 s (50%), last: HTTP 503");
}

TEST_F(FailureRateBreakerTest, OldCallsSlideOutOfTheWindow) {
  for (int i = 0; i < 3; ++i) fail("HTTP 500");
  clock_.advance(seconds(10) - milliseconds(1));
  EXPECT_EQ(breaker().snapshot().window_calls, 3U);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(breaker().snapshot().window_calls, 0U);
  // Had the three old failures stayed, this failure would make 4 of 4 and open.
  fail("HTTP 500");
  succeed();
  succeed();
  succeed();  // 1 of 4
  expect({BreakerState::kClosed});
  EXPECT_EQ(breaker().snapshot().window_failures, 1U);
  EXPECT_EQ(breaker().consecutive_failures(), 0U);
}

TEST_F(FailureRateBreakerTest, HalfOpenCycleThenAFreshWindow) {
  // Shorter than the window, so only the reset on closing can clear the old failures.
  options_.open_duration = seconds(5);
  for (int i = 0; i < 4; ++i) fail();
  expect({BreakerState::kOpen, 1});
  clock_.advance(seconds(5));
  expect({BreakerState::kHalfOpen, 1, 1});
  succeed();
  expect({BreakerState::kClosed, 1, 1, 1});
  EXPECT_EQ(breaker().snapshot().window_calls, 0U);
  for (int i = 0; i < 3; ++i) fail();
  expect({BreakerState::kClosed, 1, 1, 1});
  EXPECT_EQ(breaker().snapshot().window_failures, 3U);
  fail();
  expect({BreakerState::kOpen, 2, 1, 1});
}

TEST(BreakerOptionsTest, DefaultsAreTheSpec) {
  const BreakerOptions o;
  EXPECT_EQ(o.mode, BreakerMode::kConsecutiveFailures);
  EXPECT_EQ(o.failure_threshold, 5U);
  EXPECT_EQ(o.open_duration, std::chrono::seconds(60));
  EXPECT_EQ(o.half_open_probes, 1U);
  EXPECT_TRUE(validate(o));
}

TEST(BreakerOptionsTest, RejectsEachBadFieldByName) {
  struct Case {
    BreakerOptions options;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{.failure_threshold = 0}, "circuit breaker failure_threshold must be at least 1 (got 0)"},
      {{.open_duration = Clock::Duration::zero()},
       "circuit breaker open_duration must be positive (got 0 s)"},
      {{.half_open_probes = 0},
       "circuit breaker half_open_probes must be between 1 and 1000 (got 0)"},
      {{.half_open_probes = 1001},
       "circuit breaker half_open_probes must be between 1 and 1000 (got 1001)"},
      {{.failure_rate_threshold = 0.0},
       "circuit breaker failure_rate_threshold is a percentage above 0 and at most 100 (got 0)"},
      {{.failure_rate_threshold = 150.0},
       "circuit breaker failure_rate_threshold is a percentage above 0 and at most 100 (got "
       "150)"},
      {{.minimum_calls = 0}, "circuit breaker minimum_calls must be at least 1 (got 0)"},
      {{.window = milliseconds(500)}, "circuit breaker window must be at least 1 s (got 0.5 s)"},
  };
  for (const Case& c : cases) {
    const Result<void> r = validate(c.options);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(BreakerOptionsTest, ParsesModes) {
  EXPECT_EQ(parse_breaker_mode("consecutive"), BreakerMode::kConsecutiveFailures);
  EXPECT_EQ(parse_breaker_mode("rate"), BreakerMode::kFailureRate);
  const auto bad = parse_breaker_mode("percent");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "circuit breaker mode \"percent\" is unknown; use \"consecutive\" or \"rate\"");
  EXPECT_EQ(to_string(BreakerMode::kFailureRate), "rate");
}

TEST(BreakerOptionsTest, ConstructorRefusesInvalidOptions) {
  ManualClock clock;
  try {
    CircuitBreaker b("lightrag", BreakerOptions{.failure_threshold = 0}, clock);
    FAIL() << "constructed with failure_threshold 0";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "backend lightrag: circuit breaker failure_threshold must be at least 1 (got 0)");
  }
}

TEST(BreakerStateTest, Names) {
  EXPECT_EQ(to_string(BreakerState::kClosed), "closed");
  EXPECT_EQ(to_string(BreakerState::kOpen), "open");
  EXPECT_EQ(to_string(BreakerState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace shield::resilience
