#include "shield/resilience/retry_policy.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

namespace shield::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RetryPolicyTest : public ::testing::Test {
 protected:
  static RetryPolicy::RandomSource constant(double value) {
    return [value] { return value; };
  }

  void open_breaker() {
    for (int i = 0; i < 5; ++i) breaker_.try_acquire()->record_failure("down");
    ASSERT_EQ(breaker_.state(), BreakerState::kOpen);
  }

  ManualClock clock_;
  CircuitBreaker breaker_{"qdrant", {}, clock_};
  RetryOptions options_{
      .max_attempts = 5, .base_delay = milliseconds(100), .max_delay = seconds(5)};
};

TEST_F(RetryPolicyTest, BackoffDoublesUnderFullJitter) {
  const RetryPolicy policy(options_, constant(0.5));
  EXPECT_EQ(policy.next_delay(1, true, breaker_), milliseconds(50));
  EXPECT_EQ(policy.next_delay(2, true, breaker_), milliseconds(100));
  EXPECT_EQ(policy.next_delay(3, true, breaker_), milliseconds(200));
  EXPECT_EQ(policy.next_delay(4, true, breaker_), milliseconds(400));
  EXPECT_EQ(policy.next_delay(5, true, breaker_), std::nullopt) << "5 attempts made: no more";
}

TEST_F(RetryPolicyTest, DelayIsBoundedByMaxDelay) {
  const RetryPolicy high(
      RetryOptions{.max_attempts = 10, .base_delay = milliseconds(100), .max_delay = seconds(5)},
      constant(0.999999));
  for (std::uint32_t attempt = 1; attempt < 10; ++attempt) {
    SCOPED_TRACE(attempt);
    const auto delay = high.next_delay(attempt, true, breaker_);
    ASSERT_TRUE(delay);
    EXPECT_LT(*delay, seconds(5));
  }
  // 100 ms * 2^5 = 3.2 s is still under the cap; 2^6 would be 6.4 s and is capped.
  EXPECT_GT(*high.next_delay(6, true, breaker_), milliseconds(3199));
  EXPECT_LT(*high.next_delay(6, true, breaker_), milliseconds(3200));
  EXPECT_GT(*high.next_delay(9, true, breaker_), milliseconds(4999));
}

TEST_F(RetryPolicyTest, OutOfRangeRandomValuesAreClamped) {
  EXPECT_EQ(RetryPolicy(options_, constant(-3.0)).next_delay(1, true, breaker_),
            Clock::Duration::zero());
  EXPECT_EQ(RetryPolicy(options_, constant(std::numeric_limits<double>::quiet_NaN()))
                .next_delay(1, true, breaker_),
            Clock::Duration::zero());
  const auto one = RetryPolicy(options_, constant(1.0)).next_delay(1, true, breaker_);
  ASSERT_TRUE(one);
  EXPECT_LT(*one, milliseconds(100));
  EXPECT_GT(*one, milliseconds(99));
}

TEST_F(RetryPolicyTest, DefaultRandomSourceJittersWithinTheCeiling) {
  const RetryPolicy policy(options_);
  std::set<Clock::Duration::rep> distinct;
  Clock::Duration lowest = seconds(1);
  Clock::Duration highest{};
  for (int i = 0; i < 1000; ++i) {
    const auto delay = policy.next_delay(3, true, breaker_);  // ceiling 400 ms
    ASSERT_TRUE(delay);
    ASSERT_GE(*delay, Clock::Duration::zero());
    ASSERT_LT(*delay, milliseconds(400));
    distinct.insert(delay->count());
    lowest = std::min(lowest, *delay);
    highest = std::max(highest, *delay);
  }
  // Full jitter spreads over the whole range; 1000 uniform draws all landing in one quarter
  // has probability 0.75^1000.
  EXPECT_GT(distinct.size(), 900U);
  EXPECT_LT(lowest, milliseconds(100));
  EXPECT_GT(highest, milliseconds(300));
}

TEST_F(RetryPolicyTest, NeverRetriesANonIdempotentCall) {
  const RetryPolicy policy(options_, constant(0.5));
  EXPECT_EQ(policy.next_delay(1, false, breaker_), std::nullopt);
  EXPECT_EQ(policy.next_delay(1, false, breaker_, seconds(1)), std::nullopt);
}

TEST_F(RetryPolicyTest, NeverRetriesPastABreakerThatIsNotClosed) {
  const RetryPolicy policy(options_, constant(0.5));
  EXPECT_EQ(policy.next_delay(1, true, breaker_), milliseconds(50));
  open_breaker();
  EXPECT_EQ(policy.next_delay(1, true, breaker_), std::nullopt);
  EXPECT_EQ(policy.next_delay(1, true, breaker_, milliseconds(10)), std::nullopt);
  clock_.advance(seconds(60));
  ASSERT_EQ(breaker_.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(policy.next_delay(1, true, breaker_), std::nullopt);
  breaker_.try_acquire()->record_success();
  ASSERT_EQ(breaker_.state(), BreakerState::kClosed);
  EXPECT_EQ(policy.next_delay(1, true, breaker_), milliseconds(50));
}

TEST_F(RetryPolicyTest, HonoursRetryAfterCappedAtMaxDelay) {
  const RetryPolicy policy(options_, constant(0.5));
  EXPECT_EQ(policy.next_delay(1, true, breaker_, seconds(2)), seconds(2)) << "not jittered";
  EXPECT_EQ(policy.next_delay(4, true, breaker_, milliseconds(10)), milliseconds(10));
  EXPECT_EQ(policy.next_delay(1, true, breaker_, seconds(120)), seconds(5));
  EXPECT_EQ(policy.next_delay(1, true, breaker_, -seconds(1)), Clock::Duration::zero());
  EXPECT_EQ(policy.next_delay(5, true, breaker_, seconds(1)), std::nullopt)
      << "Retry-After does not add attempts";
}

TEST_F(RetryPolicyTest, SingleAttemptNeverRetries) {
  const RetryPolicy policy(RetryOptions{.max_attempts = 1}, constant(0.5));
  EXPECT_EQ(policy.next_delay(1, true, breaker_), std::nullopt);
}

TEST(RetryOptionsTest, RejectsEachBadFieldByName) {
  struct Case {
    RetryOptions options;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{.max_attempts = 0}, "retry max_attempts must be between 1 and 10 (got 0)"},
      {{.max_attempts = 11}, "retry max_attempts must be between 1 and 10 (got 11)"},
      {{.base_delay = Clock::Duration::zero()}, "retry base_delay must be positive (got 0 s)"},
      {{.base_delay = seconds(2), .max_delay = seconds(1)},
       "retry max_delay (1 s) must not be below base_delay (2 s)"},
  };
  for (const Case& c : cases) {
    const Result<void> r = validate(c.options);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, c.message);
  }
  EXPECT_TRUE(validate(RetryOptions{}));
  EXPECT_THROW(RetryPolicy(RetryOptions{.max_attempts = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace shield::resilience
