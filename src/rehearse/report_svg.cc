#include "rehearse/report_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace tide::rehearse {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* ReleaseColor(size_t i) {
  static const char* kColors[] = {"#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d"};
  return kColors[i % (sizeof kColors / sizeof kColors[0])];
}

namespace {

constexpr double kLeft = 72, kRight = 1080, kTop = 34;

// Maps seconds to x pixels over the report's whole time span.
struct TimeAxis {
  double span_s = 1;
  double X(double t) const { return kLeft + std::clamp(t / span_s, 0.0, 1.0) * (kRight - kLeft); }
};

TimeAxis MakeTimeAxis(const Report& report) { return {ChartSpan(report)}; }

double NiceStep(double span, int target_ticks) {
  double raw = span / target_ticks;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

void PhaseBands(std::string& svg, const Report& report, const TimeAxis& ax, double bottom) {
  const auto& phases = report.traffic.phases;
  for (size_t i = 0; i < phases.size(); ++i) {
    double x0 = ax.X(phases[i].start_s), x1 = ax.X(phases[i].end_s);
    svg += fmt::format(
        "<rect class=\"phase\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"{}\"><title>{} ({:.1f} s - {:.1f} s)</title></rect>\n",
        x0, kTop, std::max(x1 - x0, 0.5), bottom - kTop, i % 2 ? "#e0e7ff" : "#f1f5f9",
        HtmlEscape(phases[i].name), phases[i].start_s, phases[i].end_s);
    if (x1 - x0 > 24) {
      svg += fmt::format(
          "<text x=\"{:.1f}\" y=\"{}\" class=\"phase-label\" text-anchor=\"middle\">{}</text>\n",
          (x0 + x1) / 2, kTop - 8, HtmlEscape(phases[i].name));
    }
  }
}

void TimeTicks(std::string& svg, const TimeAxis& ax, double bottom, double label_y) {
  double step = NiceStep(ax.span_s, 10);
  for (double t = 0; t <= ax.span_s + 1e-9; t += step) {
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" class=\"tick\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\" class=\"axis\">{4:g} s</text>\n",
        ax.X(t), bottom, bottom + 4, label_y, std::round(t * 1000) / 1000);
  }
}

// Polylines of value(point) per window, broken where the value is absent (<= 0).
void SeriesLine(std::string& svg, const ReleaseSeries& s, const TimeAxis& ax, double window_s,
                const std::function<double(const SeriesPoint&)>& value,
                const std::function<double(double)>& y, const std::string& style) {
  std::string points;
  auto flush = [&] {
    if (points.empty()) return;
    svg += fmt::format("<polyline fill=\"none\" {} points=\"{}\"/>\n", style, points);
    points.clear();
  };
  for (const SeriesPoint& p : s.points) {
    double v = value(p);
    if (v <= 0) {
      flush();
      continue;
    }
    points += fmt::format("{:.1f},{:.1f} ", ax.X(p.t_s + window_s / 2), y(v));
  }
  flush();
}

void StepLane(std::string& svg, const Report& report, const TimeAxis& ax, double lane_y) {
  if (report.steps.empty()) return;
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\">steps</text>\n",
                     kLeft - 6, lane_y + 12);
  for (const MigrationStep& s : report.steps) {
    double x0 = ax.X(s.start_s), x1 = ax.X(s.start_s + s.duration_s);
    double wait = std::min(s.lock_wait_s, s.duration_s);
    svg += fmt::format(
        "<g><title>{} ({}): {:.3f} s, lock wait {:.3f} s, {} attempt(s){}</title>"
        "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"16\" fill=\"{}\"/>",
        HtmlEscape(s.name), HtmlEscape(s.phase), s.duration_s, wait, s.attempts,
        s.ok ? "" : ", FAILED", x0, lane_y, std::max(x1 - x0, 2.0), s.ok ? "#64748b" : "#dc2626");
    if (wait > 0) {
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"5\" "
          "fill=\"#f59e0b\"/>",
          x0, lane_y + 11, std::max(ax.X(s.start_s + wait) - x0, 1.0));
    }
    svg += "</g>\n";
  }
}

// Axis labels at powers of ten: "0.1 ms", "10 ms", "1 s".
std::string AxisMs(double ms) {
  return ms < 1000 ? fmt::format("{:g} ms", ms) : fmt::format("{:g} s", ms / 1000);
}

// The latency range to draw, in powers of ten around the data (and the budget).
std::pair<double, double> FittedLatencyRange(const Report& report) {
  double lo = 0, hi = 0;
  for (const ReleaseSeries& s : report.traffic.series) {
    for (const SeriesPoint& p : s.points) {
      for (double v : {p.p50_ms, p.p99_ms, p.max_ms, p.oldest_in_flight_ms}) {
        if (v <= 0) continue;
        lo = lo == 0 ? v : std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (report.latency_budget_ms > 0) hi = std::max(hi, report.latency_budget_ms);
  if (hi == 0) return {0.1, 1000};
  double a = std::pow(10, std::floor(std::log10(lo)));
  double b = std::pow(10, std::ceil(std::log10(hi)));
  if (b / a < 100) b = a * 100;
  return {a, b};
}

}  // namespace

double ChartSpan(const Report& report) {
  double span = std::max(report.traffic.duration_s, 0.1);
  for (const MigrationStep& s : report.steps) span = std::max(span, s.start_s + s.duration_s);
  return std::max(span, report.chart_span_s);
}

std::pair<double, double> ChartLatencyRange(const Report& report) {
  auto [lo, hi] = FittedLatencyRange(report);
  if (report.chart_latency_lo_ms > 0) lo = std::min(lo, report.chart_latency_lo_ms);
  hi = std::max(hi, report.chart_latency_hi_ms);
  return {lo, hi};
}

std::string LatencyChartSvg(const Report& report) {
  const double bottom = 360, lane_y = 370, label_y = 404, height = 420;
  TimeAxis ax = MakeTimeAxis(report);
  auto [lo, hi] = ChartLatencyRange(report);
  auto y = [&, lo = lo, hi = hi](double ms) {
    double f = (std::log10(std::max(ms, lo)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return bottom - std::min(f, 1.0) * (bottom - kTop);
  };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 {0}\" width=\"1100\" "
      "height=\"{0}\" role=\"img\" aria-label=\"latency over time\">\n",
      height);
  PhaseBands(svg, report, ax, bottom);
  for (double v = lo; v <= hi * 1.001; v *= 10) {
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{2}\" y1=\"{1:.1f}\" y2=\"{1:.1f}\" class=\"grid\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\" class=\"axis\">{5}</text>\n",
        kLeft, y(v), kRight, kLeft - 6, y(v) + 4, AxisMs(v));
  }
  if (report.latency_budget_ms > 0) {
    double by = y(report.latency_budget_ms);
    svg += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" class=\"budget\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" class=\"budget-label\">budget {}</text>\n",
        kLeft, kRight, by, by, kRight - 4, by - 4, FormatMs(report.latency_budget_ms));
  }
  double w = report.traffic.window_s;
  for (size_t i = 0; i < report.traffic.series.size(); ++i) {
    const ReleaseSeries& s = report.traffic.series[i];
    std::string color = ReleaseColor(i);
    SeriesLine(
        svg, s, ax, w, [](const SeriesPoint& p) { return p.max_ms; }, y,
        fmt::format("stroke=\"{}\" stroke-width=\"1\" stroke-opacity=\"0.45\"", color));
    SeriesLine(
        svg, s, ax, w, [](const SeriesPoint& p) { return p.oldest_in_flight_ms; }, y,
        fmt::format("stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"", color));
    SeriesLine(
        svg, s, ax, w, [](const SeriesPoint& p) { return p.p99_ms; }, y,
        fmt::format("stroke=\"{}\" stroke-width=\"2\"", color));
    for (const SeriesPoint& p : s.points) {
      if (p.failures == 0) continue;
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"8\" fill=\"#dc2626\">"
          "<title>{}: {} failed at {:.1f} s</title></rect>\n",
          ax.X(p.t_s), bottom - 8 - 9.0 * static_cast<double>(i),
          std::max(ax.X(p.t_s + w) - ax.X(p.t_s), 2.0), HtmlEscape(s.name), p.failures, p.t_s);
    }
  }
  svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" class=\"axis-line\"/>\n",
                     kLeft, kRight, bottom);
  StepLane(svg, report, ax, lane_y);
  TimeTicks(svg, ax, bottom, label_y);
  svg += "</svg>\n";
  return svg;
}

std::string ThroughputChartSvg(const Report& report) {
  const double bottom = 190, label_y = 210, height = 220;
  TimeAxis ax = MakeTimeAxis(report);
  double w = report.traffic.window_s > 0 ? report.traffic.window_s : 0.1;
  double top_rate = 0;
  for (const ReleaseSeries& s : report.traffic.series) {
    for (const SeriesPoint& p : s.points) {
      top_rate = std::max(top_rate, static_cast<double>(p.requests) / w);
    }
  }
  double step = NiceStep(std::max(top_rate, 1.0), 4);
  double ymax = std::ceil(std::max(top_rate, 1.0) / step) * step;
  auto y = [&](double rate) { return bottom - rate / ymax * (bottom - kTop); };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 {0}\" width=\"1100\" "
      "height=\"{0}\" role=\"img\" aria-label=\"requests per second\">\n",
      height);
  PhaseBands(svg, report, ax, bottom);
  for (double v = 0; v <= ymax + 1e-9; v += step) {
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{2}\" y1=\"{1:.1f}\" y2=\"{1:.1f}\" class=\"grid\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\" class=\"axis\">{5:g}/s</text>\n",
        kLeft, y(v), kRight, kLeft - 6, y(v) + 4, v);
  }
  for (size_t i = 0; i < report.traffic.series.size(); ++i) {
    const ReleaseSeries& s = report.traffic.series[i];
    for (const SeriesPoint& p : s.points) {
      if (p.failures == 0) continue;
      double rate = static_cast<double>(p.failures) / w;
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"#dc2626\" fill-opacity=\"0.7\"/>\n",
          ax.X(p.t_s), y(rate), std::max(ax.X(p.t_s + w) - ax.X(p.t_s), 1.0), bottom - y(rate));
    }
    std::string points;
    for (const SeriesPoint& p : s.points) {
      points += fmt::format("{:.1f},{:.1f} ", ax.X(p.t_s + w / 2),
                            y(static_cast<double>(p.requests) / w));
    }
    svg += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" "
        "points=\"{}\"/>\n",
        ReleaseColor(i), points);
  }
  svg += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" class=\"axis-line\"/>\n",
                     kLeft, kRight, bottom);
  TimeTicks(svg, ax, bottom, label_y);
  svg += "</svg>\n";
  return svg;
}

}  // namespace tide::rehearse
