#pragma once
// The inline SVG charts of the HTML report. Internal to the report renderers.

#include <string>
#include <string_view>
#include <utility>

#include "rehearse/report.h"

namespace tide::rehearse {

// Latency over time on a log scale: each release's p99 and max per window and its oldest request
// in flight, phases as shaded bands, failures as red marks, migration steps in a lane below.
std::string LatencyChartSvg(const Report& report);
// Requests per second per release, failures per second in red.
std::string ThroughputChartSvg(const Report& report);

// The seconds the time axis spans, and the latency range drawn (powers of ten), fitted to the
// report unless it sets chart_span_s / chart_latency_*_ms.
double ChartSpan(const Report& report);
std::pair<double, double> ChartLatencyRange(const Report& report);

// Text safe inside HTML/SVG elements and quoted attributes.
std::string HtmlEscape(std::string_view text);
// The colour of the i-th release.
const char* ReleaseColor(size_t i);

}  // namespace tide::rehearse
