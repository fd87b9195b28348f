#pragma once
// A latency histogram in the manner of HdrHistogram: log-linear buckets, so every recorded
// value is known to within 1/2^precision_bits of itself (precision 7: better than 1%) from 1 us
// to hours, in constant memory, with O(1) recording and exact merging. Values are microseconds.
// Not thread-safe: each client records into its own and the collector merges them.

#include <cstdint>
#include <utility>
#include <vector>

namespace tide::rehearse {

class LatencyHistogram {
 public:
  // Values above this (about 19 hours) are counted in the last bucket; max() stays exact.
  static constexpr int64_t kMaxTrackableMicros = (int64_t{1} << 36) - 1;

  // precision_bits in [1, 12]: 7 keeps every value within 0.8%, 5 within 3.2%.
  explicit LatencyHistogram(int precision_bits = 7);

  void Record(int64_t micros) { RecordN(micros, 1); }
  void RecordN(int64_t micros, int64_t count);
  // Adds every value of other; both must have the same precision.
  void Merge(const LatencyHistogram& other);
  void Clear();

  int64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  int precision_bits() const { return bits_; }

  // The smallest value v such that `percentile` percent of the recorded values are <= v, to
  // within the precision (reported as the top of the bucket, never above max()). 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;

  // The non-empty buckets as (bucket index, count), for compact storage and later re-merging.
  std::vector<std::pair<uint32_t, uint32_t>> NonEmptyBuckets() const;
  void AddBucket(uint32_t index, int64_t count);

  // The bucket of a value and the largest value that falls into a bucket.
  int BucketOf(int64_t micros) const;
  int64_t BucketTop(int index) const;
  int bucket_count() const;

 private:
  int bits_;
  std::vector<int64_t> counts_;  // allocated on first use: idle histograms cost nothing
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace tide::rehearse
