#pragma once
// One policy for every loop that tries again: capped exponential backoff with jitter inside a
// total budget. Lock retries (exec/lock_retry.h) and reconnects (exec/reconnect.h) use it; the
// jitter keeps several clients that failed together from coming back together.

#include <chrono>
#include <cstdint>
#include <random>

namespace tide {

struct RetryPolicy {
  std::chrono::milliseconds first{50};   // the pause after the first failure, before jitter
  std::chrono::milliseconds cap{2000};   // no pause is longer
  std::chrono::milliseconds budget{std::chrono::minutes(5)};  // all attempts together

  // The pause after failed attempt number `attempt` (1 for the first): first * 2^(attempt-1),
  // capped, then a uniform draw between half of it and all of it.
  std::chrono::milliseconds Pause(int attempt, std::mt19937_64& rng) const;
  // Pause with a per-thread generator seeded from the system.
  std::chrono::milliseconds Pause(int attempt) const;
};

}  // namespace tide
