#include "cli/console_reporter.h"

#include <unistd.h>

#include <cstdio>

#include "base/strings.h"
#include "base/text.h"

namespace tide::cli {

ConsoleReporter::ConsoleReporter(bool info_to_stderr, bool quiet)
    : info_to_stderr_(info_to_stderr), quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}

void ConsoleReporter::ClearBar() {
  if (bar_shown_) {
    std::fputs("\r\033[K", stderr);
    bar_shown_ = false;
  }
}

void ConsoleReporter::Info(std::string_view line) {
  std::lock_guard lock(mu_);
  if (quiet_) return;
  ClearBar();
  FILE* out = info_to_stderr_ ? stderr : stdout;
  // Lines quote statements and server messages: show their control bytes, never send them.
  std::string shown = EscapeForTerminal(line);
  std::fwrite(shown.data(), 1, shown.size(), out);
  std::fputc('\n', out);
  std::fflush(out);
}

void ConsoleReporter::Warn(std::string_view line) {
  std::lock_guard lock(mu_);
  ClearBar();
  std::string shown = EscapeForTerminal(line);
  std::fprintf(stderr, "warning: %s\n", shown.c_str());
  std::fflush(stderr);
}

void ConsoleReporter::Update(const Progress& progress) {
  std::lock_guard lock(mu_);
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_line_ < std::chrono::milliseconds(100)) return;
    last_line_ = now;
    std::fprintf(stderr, "\r\033[K%s", FormatProgress(progress, 24).c_str());
    std::fflush(stderr);
    bar_shown_ = true;
  } else if (now - last_line_ >= std::chrono::seconds(5)) {
    last_line_ = now;
    std::fprintf(stderr, "%s\n", FormatProgress(progress, 0).c_str());
    std::fflush(stderr);
  }
}

void ConsoleReporter::Finish(const Progress& progress) {
  std::lock_guard lock(mu_);
  ClearBar();
  if (quiet_) return;
  last_line_ = {};
  (void)progress;
}

}  // namespace tide::cli
