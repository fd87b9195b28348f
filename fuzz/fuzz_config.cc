// libFuzzer target: the configuration tide reads. The first byte picks the reader, the rest is
// the text: tide.toml, flyway.conf (Java properties), flyway.toml, or a JDBC URL. Beyond "no
// crash": a JDBC URL's error and warnings never contain the password passed beside it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/flyway_conf.h"
#include "config/jdbc_url.h"
#include "config/settings.h"

namespace {

std::optional<std::string> NoEnv(const char*) { return std::nullopt; }

// flyway.conf and flyway.toml are read from files: one per fuzzing process, in memory if /dev/shm
// is there.
std::filesystem::path Scratch(const char* name) {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    auto d = base / ("tide-fuzz-config-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir / name;
}

void Write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

constexpr const char* kPassword = "fuzz-secret-7f3a";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> warnings;
  switch (data[0] % 4) {
    case 0: {
      tide::config::Settings s;
      (void)tide::config::ParseConfigText(text, "tide.toml", s);
      break;
    }
    case 1: {
      auto p = Scratch("flyway.conf");
      Write(p, text);
      (void)tide::config::ReadFlywayConf(p, &NoEnv, warnings);
      break;
    }
    case 2: {
      auto p = Scratch("flyway.toml");
      Write(p, text);
      (void)tide::config::ReadFlywayToml(p, "", &NoEnv, warnings);
      break;
    }
    default: {
      if (text.find(kPassword) != std::string::npos) break;  // the URL itself holds it
      auto r = tide::config::JdbcToConninfo(text, std::string("fuzzer"), std::string(kPassword));
      std::string said = r.ok() ? "" : r.error().ToString();
      if (r.ok()) {
        for (const auto& w : r->warnings) said += w;
      }
      if (said.find(kPassword) != std::string::npos) std::abort();
      break;
    }
  }
  return 0;
}
