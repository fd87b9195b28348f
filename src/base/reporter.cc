#include "base/reporter.h"

#include <fmt/format.h>

#include <cstdio>

#include "base/strings.h"
#include "base/text.h"

namespace tide {

std::string FormatProgress(const Progress& p, int bar_width) {
  std::string out = p.label + "  ";
  if (p.total > 0) {
    double frac = std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
    if (bar_width > 0) {
      int filled = static_cast<int>(frac * bar_width);
      out += "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
    }
    out += fmt::format("{} / {} rows  {:.0f}%", FormatCount(p.done), FormatCount(p.total),
                       frac * 100);
  } else {
    out += fmt::format("{} rows", FormatCount(p.done));
  }
  if (p.rows_per_second > 0) {
    out += fmt::format("  {} rows/s", FormatCount(static_cast<int64_t>(p.rows_per_second)));
    if (p.total > p.done) {
      auto eta = std::chrono::milliseconds(
          static_cast<int64_t>((p.total - p.done) / p.rows_per_second * 1000));
      out += "  ETA " + FormatDuration(eta);
    }
  }
  if (p.batch_size > 0) out += fmt::format("  batch {}", FormatCount(p.batch_size));
  if (p.shrunk > 0) {
    out += fmt::format("  {} shrunk, longest wait {}", p.shrunk,
                       FormatDuration(std::chrono::milliseconds(p.longest_wait_ms)));
  }
  return out;
}

void CollectingReporter::Info(std::string_view line) {
  std::lock_guard lock(mu_);
  lines.emplace_back(line);
}

void CollectingReporter::Warn(std::string_view line) {
  std::lock_guard lock(mu_);
  warnings.emplace_back(line);
}

void CollectingReporter::Update(const Progress& progress) {
  std::lock_guard lock(mu_);
  (void)progress;
  ++updates;
}

std::string CollectingReporter::Text() const {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  for (const auto& w : warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace tide
