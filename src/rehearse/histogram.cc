#include "rehearse/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tide::rehearse {

// Layout: values below 2^bits each have a bucket of their own; above, each power of two
// [2^k, 2^(k+1)) is cut into 2^bits equal buckets, so a bucket is at most 1/2^bits of its values.

LatencyHistogram::LatencyHistogram(int precision_bits) : bits_(std::clamp(precision_bits, 1, 12)) {}

int LatencyHistogram::bucket_count() const {
  int top = 63 - std::countl_zero(static_cast<uint64_t>(kMaxTrackableMicros));
  return (1 << bits_) + (top - bits_ + 1) * (1 << bits_);
}

int LatencyHistogram::BucketOf(int64_t micros) const {
  uint64_t v = static_cast<uint64_t>(std::clamp<int64_t>(micros, 0, kMaxTrackableMicros));
  uint64_t linear = uint64_t{1} << bits_;
  if (v < linear) return static_cast<int>(v);
  int k = 63 - std::countl_zero(v);  // v in [2^k, 2^(k+1)), k >= bits_
  uint64_t sub = (v >> (k - bits_)) & (linear - 1);
  return static_cast<int>(linear + static_cast<uint64_t>(k - bits_) * linear + sub);
}

int64_t LatencyHistogram::BucketTop(int index) const {
  int64_t linear = int64_t{1} << bits_;
  if (index < linear) return index;
  int64_t k = (index - linear) / linear + bits_;
  int64_t sub = (index - linear) % linear;
  int64_t width = int64_t{1} << (k - bits_);
  return (int64_t{1} << k) + (sub + 1) * width - 1;
}

void LatencyHistogram::RecordN(int64_t micros, int64_t n) {
  if (n <= 0) return;
  if (micros < 0) micros = 0;
  if (counts_.empty()) counts_.assign(static_cast<size_t>(bucket_count()), 0);
  counts_[static_cast<size_t>(BucketOf(micros))] += n;
  if (count_ == 0 || micros < min_) min_ = micros;
  max_ = std::max(max_, micros);
  count_ += n;
  sum_ += micros * n;
}

void LatencyHistogram::AddBucket(uint32_t index, int64_t n) {
  if (n <= 0 || static_cast<int>(index) >= bucket_count()) return;
  RecordN(BucketTop(static_cast<int>(index)), n);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  if (other.bits_ != bits_) {  // different precision: re-bucket by each bucket's top value
    for (auto [index, n] : other.NonEmptyBuckets()) AddBucket(index, n);
    return;
  }
  if (counts_.empty()) counts_.assign(static_cast<size_t>(bucket_count()), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = min_ = max_ = 0;
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  double p = std::clamp(percentile, 0.0, 100.0);
  // The rank of the wanted value, 1-based: at least the first value.
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(BucketTop(static_cast<int>(i)), min(), max_);
    }
  }
  return max_;
}

std::vector<std::pair<uint32_t, uint32_t>> LatencyHistogram::NonEmptyBuckets() const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    int64_t n = counts_[i];
    while (n > 0) {  // a count beyond 32 bits is split, never truncated
      uint32_t part = static_cast<uint32_t>(std::min<int64_t>(n, UINT32_MAX));
      out.emplace_back(static_cast<uint32_t>(i), part);
      n -= part;
    }
  }
  return out;
}

}  // namespace tide::rehearse
