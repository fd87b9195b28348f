#include "base/clock.h"

#include <thread>

namespace tide {

void Clock::SleepFor(std::chrono::milliseconds pause) {
  if (pause.count() > 0) std::this_thread::sleep_for(pause);
}

Clock& Clock::Real() {
  static Clock real;
  return real;
}

}  // namespace tide
