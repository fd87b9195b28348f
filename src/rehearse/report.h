#pragma once
// The rehearsal report: what users would have felt during a migration (failed requests, latency
// per phase and release, over time) and the migration's own steps, as a terminal summary, a
// JSON document and a self-contained HTML page (inline SVG charts, no external assets).
// Renderers are pure functions of the Report: no I/O, no clock.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rehearse/results.h"

namespace tide::rehearse {

// One step the migration ran, as the caller (the executor) measured it.
struct MigrationStep {
  std::string name;    // "V1.1 add_email_column: ADD COLUMN email"
  std::string phase;   // "expand", "contract", ...
  double start_s = 0;  // seconds since the traffic started (same clock as the phases)
  double duration_s = 0;
  double lock_wait_s = 0;  // of the duration, time spent waiting for locks
  int attempts = 1;        // 1 + retries after a lock timeout
  std::string lock;        // "ACCESS EXCLUSIVE"
  bool ok = true;
  std::string note;  // anything worth a line: "batched: 2,000 batches of 1,000 rows"
};

struct Report {
  std::string title = "tide rehearsal";
  std::string subtitle;  // "customers: V1 -> V1.2, 2,000,000 rows"
  TrafficResults traffic;
  std::vector<MigrationStep> steps;
  // When > 0, a request slower than this also breaks the promise (the lock timeout budget).
  double latency_budget_ms = 0;
  std::string generator = "tide";  // "tide 0.1.0", shown in the footer
  // The charts' scales; 0: fitted to this report. A comparison sets them to the widest of its
  // runs, so that the runs' charts can be compared by eye.
  double chart_span_s = 0;
  double chart_latency_lo_ms = 0, chart_latency_hi_ms = 0;
};

// Whether users would have noticed: no failed request, and (with a budget) none too slow.
struct Verdict {
  bool zero_downtime = true;
  std::vector<std::string> reasons;  // why not, one line each
};
Verdict Judge(const Report& report);

// A plain-text summary for a terminal (fixed-width tables, no colour codes).
std::string RenderText(const Report& report);
// The whole report as JSON (figures in milliseconds and seconds, series included).
nlohmann::json ToJson(const Report& report);
// One HTML page that renders offline.
std::string RenderHtml(const Report& report);

// Several runs of one rehearsal side by side (tide and a plain run on identical data): a summary
// table first, then each report in full.
std::string RenderComparisonHtml(const std::vector<Report>& reports, const std::string& title,
                                 const std::string& subtitle);
std::string RenderComparisonText(const std::vector<Report>& reports);

// The figures a comparison puts side by side for one run.
struct Comparison {
  bool zero_downtime = true;
  int64_t requests = 0;
  int64_t failures = 0;
  std::vector<double> max_by_phase;  // worst latency of any release, per compared phase
  double p99_ms = 0;                 // worst release's p99 over the whole run
};
// The phases worth comparing: those every run has, in order ("expand", "contract", ...).
std::vector<std::string> ComparedPhases(const std::vector<Report>& reports);
Comparison Compare(const Report& report, const std::vector<std::string>& phases);

// "0.42 ms", "3.4 ms", "123 ms", "9.12 s": latencies for people.
std::string FormatMs(double ms);

}  // namespace tide::rehearse
