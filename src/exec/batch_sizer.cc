#include "exec/batch_sizer.h"

#include <algorithm>

namespace tide::exec {

namespace {
// The longest pause after a batch the application queued behind: enough for its queued
// statements to finish, short enough not to slow the backfill much.
constexpr int64_t kMaxPauseMs = 50;
constexpr int64_t kMinPauseMs = 5;
}  // namespace

BatchSizer::BatchSizer(int64_t start, int64_t min, int64_t max, std::chrono::milliseconds target)
    : size_(std::clamp(start, min, max)),
      min_(min),
      max_(max),
      target_ms_(static_cast<double>(target.count())) {}

std::chrono::milliseconds BatchSizer::Next(double took_ms, int64_t waiters, int64_t wait_ms) {
  double per_unit = took_ms / static_cast<double>(std::max<int64_t>(size_, 1));
  ms_per_unit_ = ms_per_unit_ == 0 ? per_unit : 0.7 * ms_per_unit_ + 0.3 * per_unit;
  int64_t desired = static_cast<int64_t>(target_ms_ / std::max(ms_per_unit_, 1e-6));
  int64_t pause = 0;
  waiters_ += waiters;
  if (waiters > 0) longest_wait_ms_ = std::max(longest_wait_ms_, wait_ms);
  // A wait of a few milliseconds is the cost of any write; one of half the target or more is
  // the application queueing behind the batch.
  if (waiters > 0 && static_cast<double>(wait_ms) * 2 >= target_ms_) {
    cap_ = std::max(min_, size_ / 2);
    ++shrunk_;
    pause = std::clamp(wait_ms, kMinPauseMs, kMaxPauseMs);
  } else if (cap_ && waiters == 0) {
    *cap_ += std::max<int64_t>(1, *cap_ / 4);
    if (*cap_ >= desired) cap_.reset();
  }
  int64_t next = std::clamp(desired, std::max<int64_t>(1, size_ / 2), size_ * 2);
  if (cap_) next = std::min(next, *cap_);
  size_ = std::clamp(next, min_, max_);
  return std::chrono::milliseconds(pause);
}

}  // namespace tide::exec
