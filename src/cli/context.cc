#include "cli/context.h"

#include <algorithm>
#include <cstdio>

#include "base/json_text.h"
#include "base/strings.h"
#include "base/text.h"
#include "cli/console_reporter.h"
#include "pg/connection.h"

namespace tide::cli {

Result<const config::Settings*> Context::Settings() {
  if (!settings_) {
    TIDE_ASSIGN(config::Settings loaded, config::Load(flags));
    // --direct-url: the server itself, past a pooler. tide does all its work over it and needs
    // the pooled URL for nothing, so it simply takes the URL's place (its source says so).
    std::optional<std::string> direct = direct_url;
    std::string source = "flag --direct-url";
    if (!direct) {
      direct = config::ProcessEnv("TIDE_DIRECT_URL");
      source = "env TIDE_DIRECT_URL";
    }
    if (direct) {
      Status valid = pg::ValidateConninfo(*direct);
      if (!valid.ok()) return Error::Usage("--direct-url: " + valid.error().message());
      loaded.url = *direct;
      loaded.sources["url"] = source;
    }
    settings_ = std::move(loaded);
    for (const auto& w : settings_->warnings) reporter().Warn(w);
  }
  return &*settings_;
}

Reporter& Context::reporter() {
  if (!reporter_) reporter_ = std::make_unique<ConsoleReporter>(json, quiet);
  return *reporter_;
}

void Context::Print(const std::string& text) {
  if (json) return;
  // Tables and plans show file names and statements: their control bytes are shown, not sent.
  std::string shown = EscapeForTerminal(text);
  std::fwrite(shown.data(), 1, shown.size(), stdout);
  if (!shown.empty() && shown.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Context::PrintJson(const nlohmann::json& doc) {
  if (!json) return;
  std::string text = DumpJson(doc, 2);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

bool ViaDirectUrl(const config::Settings& settings) {
  auto it = settings.sources.find("url");
  return it != settings.sources.end() && (it->second.find("direct-url") != std::string::npos ||
                                          it->second.find("DIRECT_URL") != std::string::npos);
}

std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  auto cell_width = [](const std::string& s) {
    size_t n = 0;  // count UTF-8 code points, not bytes
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t i = 0; i < header.size(); ++i) width[i] = cell_width(header[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], cell_width(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < header.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : "";
      out += cell;
      if (i + 1 < header.size()) out += std::string(width[i] - cell_width(cell) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  out += line(rule);
  for (const auto& row : rows) out += line(row);
  return out;
}

}  // namespace tide::cli
