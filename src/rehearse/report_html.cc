// The HTML report: one self-contained page (inline CSS and SVG, no script, no external asset),
// so it can be attached to a CI run or a pull request and opened anywhere, offline.

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "rehearse/report.h"
#include "rehearse/report_svg.h"

namespace tide::rehearse {

namespace {

constexpr const char* kStyle = R"css(
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       margin: 24px; color: #0f172a; background: #ffffff; max-width: 1120px; }
h1 { font-size: 24px; margin: 0 0 4px 0; }
h2 { font-size: 17px; margin: 28px 0 8px 0; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
.subtitle { color: #475569; margin-bottom: 12px; }
.verdict { display: inline-block; padding: 8px 14px; border-radius: 6px; font-weight: 600;
           margin: 8px 0; }
.verdict.ok { background: #dcfce7; color: #166534; border: 1px solid #86efac; }
.verdict.bad { background: #fee2e2; color: #991b1b; border: 1px solid #fca5a5; }
ul.reasons { margin: 4px 0 0 0; color: #991b1b; }
table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e2e8f0; text-align: right; }
th { background: #f8fafc; font-weight: 600; }
td.l, th.l { text-align: left; }
td.fail { color: #b91c1c; font-weight: 600; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
          vertical-align: -1px; margin-right: 4px; }
.legend { font-size: 12px; color: #334155; margin: 4px 0 0 0; }
.legend span { margin-right: 16px; }
svg text { font-size: 11px; fill: #334155; }
svg .phase-label { font-size: 12px; font-weight: 600; fill: #1e293b; }
svg .grid { stroke: #cbd5e1; stroke-width: 0.6; }
svg .tick, svg .axis-line { stroke: #64748b; stroke-width: 1; }
svg .budget { stroke: #dc2626; stroke-width: 1; stroke-dasharray: 6 4; }
svg .budget-label { fill: #dc2626; }
.footer { margin-top: 28px; font-size: 12px; color: #64748b; }
code { font-size: 12px; }
)css";

std::string Td(const std::string& text, const char* cls = "") {
  return fmt::format("<td class=\"{}\">{}</td>", cls, HtmlEscape(text));
}

std::string SummaryRow(const std::string& phase, const ReleaseFigures& r, size_t index,
                       const LatencySummary& s) {
  return fmt::format(
      "<tr>{}<td class=\"l\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td>"
      "{}{}{}{}{}{}{}</tr>\n",
      Td(phase, "l"), ReleaseColor(index), HtmlEscape(r.name), Td(FormatCount(s.requests)),
      Td(FormatCount(s.failures), s.failures ? "fail" : ""),
      Td(fmt::format("{:.1f}", s.throughput)), Td(FormatMs(s.p50_ms)), Td(FormatMs(s.p99_ms)),
      Td(FormatMs(s.p999_ms)), Td(FormatMs(s.max_ms)));
}

std::string FiguresTable(const TrafficResults& t) {
  std::string html =
      "<table><tr><th class=\"l\">phase</th><th class=\"l\">release</th><th>requests</th>"
      "<th>failed</th><th>req/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n";
  for (size_t p = 0; p < t.phases.size(); ++p) {
    for (size_t i = 0; i < t.releases.size(); ++i) {
      const ReleaseFigures& r = t.releases[i];
      if (p < r.phases.size() && r.phases[p].requests > 0) {
        html += SummaryRow(t.phases[p].name, r, i, r.phases[p]);
      }
    }
  }
  for (size_t i = 0; i < t.releases.size(); ++i) {
    html += SummaryRow("whole run", t.releases[i], i, t.releases[i].total);
  }
  return html + "</table>\n";
}

std::string ErrorsTable(const TrafficResults& t) {
  std::string rows;
  for (const ReleaseFigures& r : t.releases) {
    for (const ErrorSample& e : r.errors) {
      rows += fmt::format("<tr>{}{}{}{}{}{}{}</tr>\n", Td(r.name, "l"), Td(FormatCount(e.count)),
                          Td(e.kind, "l"), Td(e.sqlstate, "l"), Td(e.message, "l"),
                          Td(e.where, "l"), Td(fmt::format("{:.1f} s", e.first_s)));
    }
    if (r.other_failures > 0) {
      rows += fmt::format("<tr>{}{}<td class=\"l\" colspan=\"5\">other errors</td></tr>\n",
                          Td(r.name, "l"), Td(FormatCount(r.other_failures)));
    }
  }
  if (rows.empty()) return "<p>No request failed.</p>\n";
  return "<table><tr><th class=\"l\">release</th><th>count</th><th class=\"l\">kind</th>"
         "<th class=\"l\">SQLSTATE</th><th class=\"l\">message</th><th class=\"l\">where</th>"
         "<th>first seen</th></tr>\n" +
         rows + "</table>\n";
}

std::string StepsTable(const Report& report) {
  if (report.steps.empty()) return "<p>No migration step was recorded.</p>\n";
  std::string html =
      "<table><tr><th class=\"l\">step</th><th class=\"l\">phase</th><th class=\"l\">lock</th>"
      "<th>start</th><th>duration</th><th>lock wait</th><th>attempts</th>"
      "<th class=\"l\">result</th><th class=\"l\">note</th></tr>\n";
  for (const MigrationStep& s : report.steps) {
    html += fmt::format("<tr>{}{}{}{}{}{}{}{}{}</tr>\n", Td(s.name, "l"), Td(s.phase, "l"),
                        Td(s.lock, "l"), Td(fmt::format("{:.1f} s", s.start_s)),
                        Td(FormatMs(s.duration_s * 1000)), Td(FormatMs(s.lock_wait_s * 1000)),
                        Td(std::to_string(s.attempts)),
                        Td(s.ok ? "ok" : "FAILED", s.ok ? "l" : "l fail"), Td(s.note, "l"));
  }
  return html + "</table>\n";
}

std::string Legend(const TrafficResults& t) {
  std::string html = "<div class=\"legend\">";
  for (size_t i = 0; i < t.releases.size(); ++i) {
    html += fmt::format(
        "<span><span class=\"swatch\" style=\"background:{}\"></span>{} ({})"
        "</span>",
        ReleaseColor(i), HtmlEscape(t.releases[i].name),
        HtmlEscape(t.releases[i].application_name));
  }
  return html +
         "<span>thick line: p99 per window; thin: max; dashed: oldest request still waiting; "
         "red marks: failed requests; grey lane: migration steps (amber: lock wait)</span>"
         "</div>\n";
}

std::string Head(const std::string& title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>{}</style></head>\n<body>\n",
      HtmlEscape(title), kStyle);
}

// One report without the page around it; heading is h1 for a page of its own, h1 too in a
// comparison (each run is a section of equal rank).
std::string Body(const Report& report) {
  const TrafficResults& t = report.traffic;
  Verdict verdict = Judge(report);
  std::string html = fmt::format("<h1>{}</h1>\n", HtmlEscape(report.title));
  if (!report.subtitle.empty()) {
    html += fmt::format("<div class=\"subtitle\">{}</div>\n", HtmlEscape(report.subtitle));
  }
  html +=
      fmt::format("<div class=\"verdict {}\">{}</div>\n", verdict.zero_downtime ? "ok" : "bad",
                  verdict.zero_downtime ? "Zero downtime: no request failed" : "Not zero downtime");
  if (!verdict.reasons.empty()) {
    html += "<ul class=\"reasons\">";
    for (const std::string& reason : verdict.reasons) {
      html += "<li>" + HtmlEscape(reason) + "</li>";
    }
    html += "</ul>\n";
  }
  html +=
      fmt::format("<h2>Latency over time (log scale, {:g} ms windows)</h2>\n", t.window_s * 1000);
  html += LatencyChartSvg(report) + Legend(t);
  html += "<h2>Requests per second</h2>\n" + ThroughputChartSvg(report);
  html += "<h2>Per phase and release</h2>\n" + FiguresTable(t);
  html += "<h2>Errors</h2>\n" + ErrorsTable(t);
  html += "<h2>Migration steps</h2>\n" + StepsTable(report);
  html += fmt::format(
      "<div class=\"footer\">Made by {} from traffic started {} and run for {:.1f} s. Latency "
      "counts from a request's start (its scheduled start at a fixed rate) to its end, failed "
      "requests included; a request belongs to the phase in which it started.</div>\n",
      HtmlEscape(report.generator), HtmlEscape(t.started_at), t.duration_s);
  return html;
}

}  // namespace

std::string RenderHtml(const Report& report) {
  return Head(report.title) + Body(report) + "</body></html>\n";
}

std::string RenderComparisonHtml(const std::vector<Report>& reports, const std::string& title,
                                 const std::string& subtitle) {
  std::string html = Head(title) + fmt::format("<h1>{}</h1>\n", HtmlEscape(title));
  if (!subtitle.empty()) {
    html += fmt::format("<div class=\"subtitle\">{}</div>\n", HtmlEscape(subtitle));
  }
  html += "<h2>Side by side</h2>\n<table><tr><th class=\"l\">run</th><th class=\"l\">verdict"
          "</th><th>requests</th><th>failed</th>";
  std::vector<std::string> phases = ComparedPhases(reports);
  for (const auto& p : phases) html += "<th>max in " + HtmlEscape(p) + "</th>";
  html += "<th>p99 overall</th></tr>\n";
  for (const Report& r : reports) {
    Comparison c = Compare(r, phases);
    html += fmt::format("<tr>{}{}{}{}", Td(r.title, "l"),
                        Td(c.zero_downtime ? "zero downtime" : "NOT zero downtime",
                           c.zero_downtime ? "l" : "l fail"),
                        Td(FormatCount(c.requests)),
                        Td(FormatCount(c.failures), c.failures ? "fail" : ""));
    for (double ms : c.max_by_phase) html += Td(FormatMs(ms));
    html += Td(FormatMs(c.p99_ms)) + "</tr>\n";
  }
  html += "</table>\n";
  // One time scale and one latency scale for every run, so their charts compare by eye.
  double span = 0, lo = 0, hi = 0;
  for (const Report& r : reports) {
    span = std::max(span, ChartSpan(r));
    auto [r_lo, r_hi] = ChartLatencyRange(r);
    lo = lo == 0 ? r_lo : std::min(lo, r_lo);
    hi = std::max(hi, r_hi);
  }
  for (Report r : reports) {
    r.chart_span_s = span;
    r.chart_latency_lo_ms = lo;
    r.chart_latency_hi_ms = hi;
    html += "<hr>\n" + Body(r);
  }
  return html + "</body></html>\n";
}

}  // namespace tide::rehearse
