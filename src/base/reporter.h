#pragma once
// How long-running work tells the user what it does: lines of text, warnings, and progress of a
// backfill. Every layer reports through this interface; the console reporter that draws it
// (cli/console_reporter.h) belongs to the command layer; tests use the collecting one.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tide {

struct Progress {
  std::string label;      // "backfill customers.email"
  int64_t done = 0;       // rows so far
  int64_t total = 0;      // estimate; 0 when unknown
  double rows_per_second = 0;
  int64_t batch_size = 0;
  int shrunk = 0;               // batches the application queued behind
  int64_t longest_wait_ms = 0;  // the longest it waited on one
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void Info(std::string_view line) = 0;
  virtual void Warn(std::string_view line) = 0;
  virtual void Update(const Progress& progress) { (void)progress; }
  virtual void Finish(const Progress& progress) { (void)progress; }
};

class CollectingReporter : public Reporter {
 public:
  void Info(std::string_view line) override;
  void Warn(std::string_view line) override;
  void Update(const Progress& progress) override;
  std::vector<std::string> lines;
  std::vector<std::string> warnings;
  int updates = 0;
  std::string Text() const;

 private:
  std::mutex mu_;
};

// Progress as one line: "backfill customers.email  1,200,000 / 2,000,000 rows  60%  210k rows/s
// ETA 4s"; bar_width > 0 adds a bar.
std::string FormatProgress(const Progress& p, int bar_width);

}  // namespace tide
