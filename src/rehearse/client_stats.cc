#include "rehearse/client_stats.h"

#include <fmt/format.h>

#include <algorithm>

namespace tide::rehearse {

std::string ErrorKindOf(const Error& error) {
  if (error.kind() != ErrorKind::kDatabase && error.kind() != ErrorKind::kLockTimeout) {
    return "script";
  }
  return error.IsConnectionLoss() ? "connection" : "server";
}

void ErrorBook::Add(const ErrorSample& sample) {
  for (ErrorSample& s : samples_) {
    if (s.kind == sample.kind && s.sqlstate == sample.sqlstate && s.message == sample.message) {
      s.count += sample.count;
      s.first_s = std::min(s.first_s, sample.first_s);
      return;
    }
  }
  if (static_cast<int>(samples_.size()) < max_distinct_) {
    samples_.push_back(sample);
    return;
  }
  other_ += sample.count;
}

void ErrorBook::Add(const Error& error, double at_s) {
  ErrorSample sample;
  sample.kind = ErrorKindOf(error);
  sample.sqlstate = error.sqlstate();
  sample.message = error.message();
  if (error.location()) {
    const SourceLocation& loc = *error.location();
    std::string file = loc.file.substr(loc.file.find_last_of('/') + 1);
    sample.where = loc.line ? fmt::format("{}:{}", file, loc.line) : file;
  }
  sample.count = 1;
  sample.first_s = at_s;
  Add(sample);
}

void ErrorBook::Merge(const ErrorBook& other) {
  for (const ErrorSample& s : other.samples_) Add(s);
  other_ += other.other_;
}

void MergeSparse(SparseBuckets& a, const SparseBuckets& b) {
  if (b.empty()) return;
  SparseBuckets out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, a[i].second + b[j].second);
      ++i;
      ++j;
    }
  }
  a = std::move(out);
}

void ClientStats::CloseWindow() {
  if (window_ >= 0 && open_.requests > 0) {
    open_.buckets = window_latency_.NonEmptyBuckets();
    closed_.push_back(std::move(open_));
  }
  open_ = WindowSample();
  window_latency_.Clear();
}

void ClientStats::Record(int phase, int64_t window, int64_t latency_us, const Error* error,
                         double end_s) {
  if (phase < 0) phase = 0;
  while (static_cast<int>(phases_.size()) <= phase) {
    phases_.emplace_back();
    phases_.back().errors = ErrorBook(max_distinct_errors_);
  }
  PhaseStats& p = phases_[static_cast<size_t>(phase)];
  p.latency.Record(latency_us);
  if (error) {
    ++p.failures;
    p.errors.Add(*error, end_s);
  }
  ++requests_;
  if (window != window_) {
    CloseWindow();
    window_ = window;
    open_.index = window;
  }
  ++open_.requests;
  open_.failures += error ? 1 : 0;
  open_.max_us = std::max(open_.max_us, latency_us);
  window_latency_.Record(latency_us);
}

void ClientStats::DrainWindows(int64_t current_window, std::vector<WindowSample>& out) {
  if (window_ >= 0 && window_ < current_window) {
    CloseWindow();
    window_ = -1;
  }
  for (WindowSample& w : closed_) out.push_back(std::move(w));
  closed_.clear();
}

LatencySummary Summarize(const LatencyHistogram& h, int64_t failures, double seconds) {
  auto ms = [](int64_t us) { return static_cast<double>(us) / 1000.0; };
  LatencySummary s;
  s.requests = h.count();
  s.failures = failures;
  s.mean_ms = h.mean() / 1000.0;
  s.p50_ms = ms(h.ValueAtPercentile(50));
  s.p90_ms = ms(h.ValueAtPercentile(90));
  s.p99_ms = ms(h.ValueAtPercentile(99));
  s.p999_ms = ms(h.ValueAtPercentile(99.9));
  s.max_ms = ms(h.max());
  s.seconds = seconds;
  s.throughput = seconds > 0 ? static_cast<double>(h.count()) / seconds : 0;
  return s;
}

}  // namespace tide::rehearse
