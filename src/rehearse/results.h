#pragma once
// What a rehearsal measured, as plain data: per release and per phase, request counts, failures
// (with the first distinct errors) and latency percentiles; and a time series for charts. Made
// by Traffic::Results(); read by the report renderers. Times are seconds from the start of the
// traffic; latencies are milliseconds.

#include <cstdint>
#include <string>
#include <vector>

namespace tide::rehearse {

struct LatencySummary {
  int64_t requests = 0;  // finished requests, failed ones included
  int64_t failures = 0;
  // Latency of every finished request, failed ones included (an error after a 9 s lock wait is
  // felt too). From the scheduled start when the release runs at a fixed rate.
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  double throughput = 0;  // requests per second over the span measured
  double seconds = 0;     // that span
};

struct ErrorSample {
  std::string kind;      // "server" (the database refused), "connection", "script" (tide's side)
  std::string sqlstate;  // "42703"; empty for script errors
  std::string message;   // the server's message, verbatim
  std::string where;     // "app-v1.sql:3": the script line that failed
  int64_t count = 0;
  double first_s = 0;  // when it was first seen
};

struct PhaseSpan {
  std::string name;  // "baseline", "expand", "rolling deploy", "contract"
  double start_s = 0;
  double end_s = 0;
};

struct ReleaseFigures {
  std::string name;              // "v1"
  std::string application_name;  // "customer-api/1.0"
  std::string script;            // the workload's file
  int clients = 0;
  LatencySummary total;
  std::vector<LatencySummary> phases;  // one per PhaseSpan, same order
  std::vector<ErrorSample> errors;     // the first distinct ones, by first seen
  int64_t other_failures = 0;          // failures beyond the distinct ones kept
};

// One window of the time series for one release. Requests count where they finish.
struct SeriesPoint {
  double t_s = 0;  // window start
  int64_t requests = 0;
  int64_t failures = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  // The age of the oldest request still running when the window was sampled: a statement
  // stuck behind a lock shows here while it waits, not only when it finishes.
  double oldest_in_flight_ms = 0;
};

struct ReleaseSeries {
  std::string name;
  std::vector<SeriesPoint> points;  // every window from the start, empty ones included
};

struct TrafficResults {
  std::string started_at;  // wall clock, ISO 8601 UTC
  double duration_s = 0;
  double window_s = 0.1;
  std::vector<PhaseSpan> phases;
  std::vector<ReleaseFigures> releases;
  std::vector<ReleaseSeries> series;

  int64_t TotalFailures() const;
  const ReleaseFigures* Find(const std::string& release) const;
};

}  // namespace tide::rehearse
