#include "base/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tide::fault_internal {

namespace {

struct Spec {
  bool armed = false;
  std::string name;
  long nth = 1;
  long seen = 0;
  bool stop = false;  // SIGSTOP instead of SIGKILL
};

Spec& TheSpec() {
  static Spec spec = [] {
    Spec s;
    const char* env = std::getenv("TIDE_FAULT");
    if (!env || !*env) return s;
    std::string text = env;
    if (text.size() > 5 && text.compare(text.size() - 5, 5, ":stop") == 0) {
      s.stop = true;
      text.resize(text.size() - 5);
    }
    size_t colon = text.rfind(':');
    if (colon != std::string::npos) {
      s.nth = std::strtol(text.c_str() + colon + 1, nullptr, 10);
      if (s.nth < 1) s.nth = 1;
      text.resize(colon);
    }
    s.name = text;
    s.armed = true;
    return s;
  }();
  return spec;
}

}  // namespace

bool Armed() {
  static const bool armed = TheSpec().armed;
  return armed;
}

void Hit(std::string_view name) {
  Spec& s = TheSpec();
  if (name != s.name || ++s.seen != s.nth) return;
  // Say where on stderr first (unbuffered), so a test that was not killed where it meant to be
  // can tell; then die without running anything else of tide.
  std::string line = "tide: fault injected at " + s.name + (s.stop ? " (stopped)\n" : "\n");
  (void)!write(STDERR_FILENO, line.data(), line.size());
  if (s.stop) {
    kill(getpid(), SIGSTOP);
    return;  // continued: carry on as if nothing happened
  }
  kill(getpid(), SIGKILL);
  _exit(137);  // not reached
}

}  // namespace tide::fault_internal
