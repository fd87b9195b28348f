#pragma once
// Time as the executor sees it: now, and a pause. Real code uses Clock::Real(); unit tests pass
// a FakeClock, whose pauses only move its hands, so retry and throttle logic runs in
// milliseconds and the pauses it took can be checked.

#include <chrono>
#include <vector>

namespace tide {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const { return std::chrono::steady_clock::now(); }
  virtual void SleepFor(std::chrono::milliseconds pause);
  std::chrono::milliseconds Since(TimePoint start) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now() - start);
  }
  // The process's clock.
  static Clock& Real();
};

class FakeClock : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void SleepFor(std::chrono::milliseconds pause) override {
    pauses.push_back(pause);
    now_ += pause;
  }
  void Advance(std::chrono::milliseconds by) { now_ += by; }
  std::vector<std::chrono::milliseconds> pauses;  // every SleepFor, in order

 private:
  TimePoint now_{std::chrono::hours(1)};
};

}  // namespace tide
