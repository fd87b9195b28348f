#pragma once
// The reporter a command uses on the console: a bar on a terminal, a status line every few
// seconds otherwise (CI logs). Info lines go to stderr when stdout carries a document.

#include <chrono>
#include <mutex>
#include <string_view>

#include "base/reporter.h"

namespace tide::cli {

class ConsoleReporter : public Reporter {
 public:
  // info_to_stderr: keep stdout for a JSON document. quiet: only warnings.
  ConsoleReporter(bool info_to_stderr, bool quiet);
  void Info(std::string_view line) override;
  void Warn(std::string_view line) override;
  void Update(const Progress& progress) override;
  void Finish(const Progress& progress) override;

 private:
  void ClearBar();
  std::mutex mu_;
  bool info_to_stderr_;
  bool quiet_;
  bool tty_;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point last_line_{};
};

}  // namespace tide::cli
