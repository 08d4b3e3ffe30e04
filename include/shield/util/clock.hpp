#pragma once
// Clock: the only way code reads the time, so tests can drive it by hand and never sleep.
// Threading: SystemClock is stateless; ManualClock is safe to read from any thread while
// one test thread advances it.
#include <atomic>
#include <chrono>

namespace shield {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch (for timestamps shown to people).
  [[nodiscard]] virtual std::int64_t unix_millis() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] std::int64_t unix_millis() const override;
  static SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override { return TimePoint(Duration(ticks_.load())); }
  [[nodiscard]] std::int64_t unix_millis() const override {
    return 1'700'000'000'000 +
           std::chrono::duration_cast<std::chrono::milliseconds>(Duration(ticks_.load())).count();
  }
  void advance(Duration d) { ticks_.fetch_add(d.count()); }

 private:
  std::atomic<Duration::rep> ticks_{0};
};

}  // namespace shield
