#pragma once
// How big the next backfill batch is. Two signals:
// - time: batches aim at the target duration (target_batch), from the measured cost per key
//   (smoothed), at most doubling or halving from one batch to the next;
// - the application: when sessions queued behind the last batch's row locks (the batch
//   statement reports them as it ends, see exec/backfill.cc) for half the target or longer,
//   the batch is halved and the backfill pauses for about as long as they waited (at most
//   50 ms), so the queue drains before the next batch locks rows again; the cap then grows back
//   by a quarter a batch while nobody waits. Shorter waits are counted, not acted on.

#include <chrono>
#include <cstdint>
#include <optional>

namespace tide::exec {

class BatchSizer {
 public:
  BatchSizer(int64_t start, int64_t min, int64_t max, std::chrono::milliseconds target);
  int64_t size() const { return size_; }
  // After a batch of size() units that took took_ms, while `waiters` sessions queued behind it
  // for up to wait_ms: sets the next size, returns how long to pause before it.
  std::chrono::milliseconds Next(double took_ms, int64_t waiters, int64_t wait_ms);
  int shrunk() const { return shrunk_; }
  int64_t longest_wait_ms() const { return longest_wait_ms_; }
  int64_t waiters() const { return waiters_; }

 private:
  int64_t size_;
  int64_t min_, max_;
  double target_ms_;
  double ms_per_unit_ = 0;
  std::optional<int64_t> cap_;  // set while the application queued recently
  int shrunk_ = 0;
  int64_t longest_wait_ms_ = 0;
  int64_t waiters_ = 0;  // sessions that queued, over all batches
};

}  // namespace tide::exec
