#pragma once
// What one client records, and how records from many clients are merged: per-phase latency
// histograms and error samples, and per-window sparse histograms for the time series.
// Internal to the load driver; not thread-safe by itself (the client's mutex guards it).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "rehearse/histogram.h"
#include "rehearse/results.h"

namespace tide::rehearse {

// The first distinct errors (kind, SQLSTATE, message), counted; later new ones only counted.
class ErrorBook {
 public:
  explicit ErrorBook(int max_distinct = 5) : max_distinct_(max_distinct) {}
  void Add(const Error& error, double at_s);
  void Add(const ErrorSample& sample);  // merging another book's sample
  void Merge(const ErrorBook& other);
  const std::vector<ErrorSample>& samples() const { return samples_; }
  int64_t other() const { return other_; }

 private:
  int max_distinct_;
  std::vector<ErrorSample> samples_;
  int64_t other_ = 0;
};

// "server", "connection" or "script" for an error a request ended with.
std::string ErrorKindOf(const Error& error);

using SparseBuckets = std::vector<std::pair<uint32_t, uint32_t>>;  // sorted by bucket

// Adds b into a, both sorted by bucket index.
void MergeSparse(SparseBuckets& a, const SparseBuckets& b);

struct WindowSample {
  int64_t index = 0;  // window number since the start
  int64_t requests = 0;
  int64_t failures = 0;
  int64_t max_us = 0;
  SparseBuckets buckets;  // LatencyHistogram(kWindowPrecision) buckets
};

inline constexpr int kPhasePrecision = 7;   // < 1%
inline constexpr int kWindowPrecision = 5;  // ~3%: cheap to keep for every window

struct PhaseStats {
  LatencyHistogram latency{kPhasePrecision};
  int64_t failures = 0;
  ErrorBook errors;
};

class ClientStats {
 public:
  explicit ClientStats(int max_distinct_errors) : max_distinct_errors_(max_distinct_errors) {}
  // A finished request: its phase (by start), its window (by end), latency, and error if any.
  void Record(int phase, int64_t window, int64_t latency_us, const Error* error, double end_s);
  // Moves finished windows (and the open one when it is older than `current_window`) out.
  void DrainWindows(int64_t current_window, std::vector<WindowSample>& out);
  const std::vector<PhaseStats>& phases() const { return phases_; }
  int64_t requests() const { return requests_; }

 private:
  void CloseWindow();

  int max_distinct_errors_;
  std::vector<PhaseStats> phases_;
  int64_t requests_ = 0;
  int64_t window_ = -1;
  WindowSample open_;
  LatencyHistogram window_latency_{kWindowPrecision};
  std::vector<WindowSample> closed_;
};

// Percentiles of a histogram over `seconds`, in milliseconds.
LatencySummary Summarize(const LatencyHistogram& h, int64_t failures, double seconds);

}  // namespace tide::rehearse
