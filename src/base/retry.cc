#include "base/retry.h"

#include <algorithm>

namespace tide {

std::chrono::milliseconds RetryPolicy::Pause(int attempt, std::mt19937_64& rng) const {
  int shift = std::clamp(attempt - 1, 0, 20);
  int64_t full = std::min<int64_t>(cap.count(), first.count() << shift);
  full = std::max<int64_t>(full, 0);
  std::uniform_int_distribution<int64_t> jitter(full / 2, full);
  return std::chrono::milliseconds(jitter(rng));
}

std::chrono::milliseconds RetryPolicy::Pause(int attempt) const {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return Pause(attempt, rng);
}

}  // namespace tide
