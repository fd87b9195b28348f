#pragma once
// A made-up but realistic rehearsal report (the customers cycle: a stall during a plain expand,
// v1 failing after the contract) for the report tests.

#include <cmath>

#include "rehearse/report.h"

namespace tide::testing {

inline rehearse::Report SampleReport() {
  using namespace rehearse;
  Report report;
  report.title = "tide rehearsal";
  report.subtitle = "customers: V1 -> V1.2 <2,000,000 rows> & \"friends\"";
  report.latency_budget_ms = 500;
  TrafficResults& t = report.traffic;
  t.started_at = "2026-11-01T12:00:00Z";
  t.duration_s = 30;
  t.window_s = 0.1;
  t.phases = {{"baseline", 0, 5},
              {"expand", 5, 12},
              {"rolling deploy", 12, 20},
              {"contract", 20, 26},
              {"cleanup", 26, 30}};
  const char* names[] = {"v1", "v2"};
  const char* apps[] = {"customer-api/1.0", "customer-api/2.0"};
  for (int r = 0; r < 2; ++r) {
    ReleaseFigures fig;
    fig.name = names[r];
    fig.application_name = apps[r];
    fig.script = std::string("workload/app-") + names[r] + ".sql";
    fig.clients = 4;
    ReleaseSeries series;
    series.name = names[r];
    for (int w = 0; w < 300; ++w) {
      double ts = w * 0.1;
      SeriesPoint p;
      p.t_s = ts;
      bool running = r == 0 ? ts < 20 : ts >= 12;
      if (running) {
        double wobble = 1 + 0.3 * std::sin(w * 0.7 + r);
        p.requests = 40;
        p.p50_ms = 1.2 * wobble;
        p.p99_ms = 3.5 * wobble;
        p.max_ms = 6 * wobble;
        if (ts >= 7 && ts < 9.1) {  // a stall behind ACCESS EXCLUSIVE during the expand
          p.requests = 0;
          p.p50_ms = p.p99_ms = p.max_ms = 0;
          p.oldest_in_flight_ms = (ts - 7) * 1000 + 50;
        }
        if (ts >= 9.1 && ts < 9.2) p.max_ms = p.p99_ms = 2100;
        if (r == 0 && ts >= 19 && ts < 20) p.failures = 40;  // v1 after the contract
      }
      series.points.push_back(p);
    }
    t.series.push_back(std::move(series));
    for (size_t ph = 0; ph < t.phases.size(); ++ph) {
      LatencySummary s;
      s.seconds = t.phases[ph].end_s - t.phases[ph].start_s;
      bool running = r == 0 ? t.phases[ph].start_s < 20 : t.phases[ph].end_s > 12;
      if (running) {
        s.requests = static_cast<int64_t>(400 * s.seconds);
        s.throughput = 400;
        s.p50_ms = 1.2;
        s.p99_ms = ph == 1 ? 2100 : 3.6;
        s.p999_ms = ph == 1 ? 2100 : 5.8;
        s.max_ms = ph == 1 ? 2110 : 6.4;
        s.mean_ms = 1.4;
        s.failures = r == 0 && ph == 2 ? 400 : 0;
      }
      fig.phases.push_back(s);
      fig.total.requests += s.requests;
      fig.total.failures += s.failures;
      fig.total.max_ms = std::max(fig.total.max_ms, s.max_ms);
      fig.total.p99_ms = std::max(fig.total.p99_ms, s.p99_ms);
    }
    if (r == 0) {
      fig.errors.push_back(
          {"server", "42703", "column \"contact_info\" does not exist", "app-v1.sql:3", 400, 19.0});
    }
    t.releases.push_back(std::move(fig));
  }
  report.steps = {
      {"V1.1 ADD COLUMN email", "expand", 5.2, 0.01, 0.005, 1, "ACCESS EXCLUSIVE", true, ""},
      {"V1.1 UPDATE customers SET email = ...", "expand", 7.0, 2.1, 0.0, 1, "ROW EXCLUSIVE", true,
       "one statement: 2,000,000 rows"},
      {"V1.2 SET NOT NULL email", "contract", 19.0, 0.6, 0.3, 2, "ACCESS EXCLUSIVE", true, ""},
      {"V1.2 DROP COLUMN contact_info", "contract", 19.7, 0.02, 0.0, 1, "ACCESS EXCLUSIVE", true,
       ""},
      {"V1.2 CREATE INDEX idx_customers_email", "contract", 20.5, 1.8, 0.0, 1, "SHARE", false,
       "deadlock detected"},
  };
  return report;
}

}  // namespace tide::testing
