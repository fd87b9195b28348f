// The terminal summary and the JSON form of a report, and the verdict both share.

#include <fmt/format.h>

#include "base/strings.h"
#include "base/text.h"
#include "rehearse/report.h"

namespace tide::rehearse {

std::string FormatMs(double ms) {
  if (ms <= 0) return "0 ms";
  if (ms < 1) return fmt::format("{:.2f} ms", ms);
  if (ms < 10) return fmt::format("{:.1f} ms", ms);
  if (ms < 1000) return fmt::format("{:.0f} ms", ms);
  if (ms < 10000) return fmt::format("{:.2f} s", ms / 1000);
  return fmt::format("{:.1f} s", ms / 1000);
}

Verdict Judge(const Report& report) {
  Verdict v;
  for (const ReleaseFigures& r : report.traffic.releases) {
    if (r.total.failures > 0) {
      std::string first = r.errors.empty() ? "" : ": " + r.errors.front().message;
      v.reasons.push_back(fmt::format("{} failed {} of {} requests{}", r.name,
                                      FormatCount(r.total.failures), FormatCount(r.total.requests),
                                      first));
    }
    if (report.latency_budget_ms > 0 && r.total.max_ms > report.latency_budget_ms) {
      v.reasons.push_back(fmt::format("{} waited up to {}, over the {} budget", r.name,
                                      FormatMs(r.total.max_ms),
                                      FormatMs(report.latency_budget_ms)));
    }
  }
  for (const MigrationStep& s : report.steps) {
    if (!s.ok) v.reasons.push_back(fmt::format("migration step failed: {}", s.name));
  }
  v.zero_downtime = v.reasons.empty();
  return v;
}

namespace {

void AppendSummaryRow(std::string& out, const std::string& phase, const std::string& release,
                      const LatencySummary& s) {
  out +=
      fmt::format("{:<18} {:<10} {:>9} {:>7} {:>8.1f} {:>9} {:>9} {:>9} {:>9}\n", phase, release,
                  FormatCount(s.requests), FormatCount(s.failures), s.throughput,
                  FormatMs(s.p50_ms), FormatMs(s.p99_ms), FormatMs(s.p999_ms), FormatMs(s.max_ms));
}

}  // namespace

std::string RenderText(const Report& report) {
  const TrafficResults& t = report.traffic;
  Verdict verdict = Judge(report);
  std::string out = report.title;
  if (!report.subtitle.empty()) out += " - " + report.subtitle;
  out += "\n";
  out +=
      fmt::format("traffic for {:.1f} s; {}\n", t.duration_s,
                  verdict.zero_downtime ? "zero downtime: no request failed" : "NOT zero downtime");
  for (const std::string& reason : verdict.reasons) out += "  - " + reason + "\n";
  out += fmt::format("\n{:<18} {:<10} {:>9} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9}\n", "phase",
                     "release", "requests", "failed", "req/s", "p50", "p99", "p99.9", "max");
  for (size_t p = 0; p < t.phases.size(); ++p) {
    for (const ReleaseFigures& r : t.releases) {
      if (p < r.phases.size() && r.phases[p].requests > 0) {
        AppendSummaryRow(out, t.phases[p].name, r.name, r.phases[p]);
      }
    }
  }
  for (const ReleaseFigures& r : t.releases) AppendSummaryRow(out, "all", r.name, r.total);
  bool any_errors = false;
  for (const ReleaseFigures& r : t.releases) {
    for (const ErrorSample& e : r.errors) {
      if (!any_errors) out += "\nerrors\n";
      any_errors = true;
      out += fmt::format("  {:<6} {:>7}x  {} {}  ({}, first at {:.1f} s)\n", r.name,
                         FormatCount(e.count), e.sqlstate.empty() ? e.kind : e.sqlstate, e.message,
                         e.where.empty() ? e.kind : e.where, e.first_s);
    }
    if (r.other_failures > 0) {
      out += fmt::format("  {:<6} {:>7}x  other errors\n", r.name, FormatCount(r.other_failures));
    }
  }
  if (!report.steps.empty()) {
    out += fmt::format("\n{:<44} {:<9} {:>8} {:>9} {:>9} {:>8}\n", "migration step", "phase",
                       "start", "duration", "lock wait", "attempts");
    for (const MigrationStep& s : report.steps) {
      out += fmt::format("{:<44} {:<9} {:>7.1f}s {:>9} {:>9} {:>8}{}\n", s.name, s.phase, s.start_s,
                         FormatMs(s.duration_s * 1000), FormatMs(s.lock_wait_s * 1000), s.attempts,
                         s.ok ? "" : "  FAILED");
    }
  }
  return out;
}

std::vector<std::string> ComparedPhases(const std::vector<Report>& reports) {
  std::vector<std::string> out;
  if (reports.empty()) return out;
  for (const PhaseSpan& p : reports.front().traffic.phases) {
    bool everywhere = true;
    for (const Report& r : reports) {
      bool found = false;
      for (const PhaseSpan& q : r.traffic.phases) found = found || q.name == p.name;
      everywhere = everywhere && found;
    }
    if (everywhere && p.name != "baseline") out.push_back(p.name);
  }
  return out;
}

Comparison Compare(const Report& report, const std::vector<std::string>& phases) {
  Comparison c;
  c.zero_downtime = Judge(report).zero_downtime;
  const TrafficResults& t = report.traffic;
  c.max_by_phase.assign(phases.size(), 0);
  for (const ReleaseFigures& r : t.releases) {
    c.requests += r.total.requests;
    c.failures += r.total.failures;
    c.p99_ms = std::max(c.p99_ms, r.total.p99_ms);
    for (size_t i = 0; i < phases.size(); ++i) {
      for (size_t p = 0; p < t.phases.size() && p < r.phases.size(); ++p) {
        if (t.phases[p].name == phases[i]) {
          c.max_by_phase[i] = std::max(c.max_by_phase[i], r.phases[p].max_ms);
        }
      }
    }
  }
  return c;
}

std::string RenderComparisonText(const std::vector<Report>& reports) {
  std::vector<std::string> phases = ComparedPhases(reports);
  std::string out = fmt::format("{:<34} {:<18} {:>9} {:>7}", "run", "verdict", "requests",
                                "failed");
  for (const auto& p : phases) out += fmt::format(" {:>12}", "max " + p.substr(0, 8));
  out += fmt::format(" {:>9}\n", "p99");
  for (const Report& r : reports) {
    Comparison c = Compare(r, phases);
    out += fmt::format("{:<34} {:<18} {:>9} {:>7}", r.title.substr(0, Utf8ClipLength(r.title, 34)),
                       c.zero_downtime ? "zero downtime" : "NOT zero downtime",
                       FormatCount(c.requests), FormatCount(c.failures));
    for (double ms : c.max_by_phase) out += fmt::format(" {:>12}", FormatMs(ms));
    out += fmt::format(" {:>9}\n", FormatMs(c.p99_ms));
  }
  return out;
}

namespace {

nlohmann::json SummaryJson(const LatencySummary& s) {
  return {{"requests", s.requests}, {"failures", s.failures}, {"throughput", s.throughput},
          {"seconds", s.seconds},   {"mean_ms", s.mean_ms},   {"p50_ms", s.p50_ms},
          {"p90_ms", s.p90_ms},     {"p99_ms", s.p99_ms},     {"p999_ms", s.p999_ms},
          {"max_ms", s.max_ms}};
}

nlohmann::json ReleaseJson(const TrafficResults& t, const ReleaseFigures& r) {
  nlohmann::json phases = nlohmann::json::array();
  for (size_t p = 0; p < r.phases.size() && p < t.phases.size(); ++p) {
    nlohmann::json j = SummaryJson(r.phases[p]);
    j["phase"] = t.phases[p].name;
    phases.push_back(std::move(j));
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const ErrorSample& e : r.errors) {
    errors.push_back({{"kind", e.kind},
                      {"sqlstate", e.sqlstate},
                      {"message", e.message},
                      {"where", e.where},
                      {"count", e.count},
                      {"first_s", e.first_s}});
  }
  return {{"name", r.name},
          {"application_name", r.application_name},
          {"script", r.script},
          {"clients", r.clients},
          {"total", SummaryJson(r.total)},
          {"phases", std::move(phases)},
          {"errors", std::move(errors)},
          {"other_failures", r.other_failures}};
}

}  // namespace

nlohmann::json ToJson(const Report& report) {
  const TrafficResults& t = report.traffic;
  Verdict verdict = Judge(report);
  nlohmann::json phases = nlohmann::json::array();
  for (const PhaseSpan& p : t.phases) {
    phases.push_back({{"name", p.name}, {"start_s", p.start_s}, {"end_s", p.end_s}});
  }
  nlohmann::json releases = nlohmann::json::array();
  for (const ReleaseFigures& r : t.releases) releases.push_back(ReleaseJson(t, r));
  nlohmann::json series = nlohmann::json::array();
  for (const ReleaseSeries& s : t.series) {
    nlohmann::json points = nlohmann::json::array();
    for (const SeriesPoint& p : s.points) {
      points.push_back({{"t_s", p.t_s},
                        {"requests", p.requests},
                        {"failures", p.failures},
                        {"p50_ms", p.p50_ms},
                        {"p99_ms", p.p99_ms},
                        {"max_ms", p.max_ms},
                        {"oldest_in_flight_ms", p.oldest_in_flight_ms}});
    }
    series.push_back({{"release", s.name}, {"points", std::move(points)}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const MigrationStep& s : report.steps) {
    steps.push_back({{"name", s.name},
                     {"phase", s.phase},
                     {"start_s", s.start_s},
                     {"duration_s", s.duration_s},
                     {"lock_wait_s", s.lock_wait_s},
                     {"attempts", s.attempts},
                     {"lock", s.lock},
                     {"ok", s.ok},
                     {"note", s.note}});
  }
  return {{"title", report.title},
          {"subtitle", report.subtitle},
          {"zero_downtime", verdict.zero_downtime},
          {"reasons", verdict.reasons},
          {"latency_budget_ms", report.latency_budget_ms},
          {"started_at", t.started_at},
          {"duration_s", t.duration_s},
          {"window_s", t.window_s},
          {"phases", std::move(phases)},
          {"releases", std::move(releases)},
          {"series", std::move(series)},
          {"steps", std::move(steps)}};
}

}  // namespace tide::rehearse
