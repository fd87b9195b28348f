#include "base/error.h"

#include <fmt/format.h>

namespace tide {

bool Error::IsConnectionLoss() const {
  // Class 08: connection exception; 57P01..57P03: admin/crash shutdown, cannot connect now.
  if (sqlstate_.rfind("08", 0) == 0) return true;
  if (sqlstate_ == "57P01" || sqlstate_ == "57P02" || sqlstate_ == "57P03") return true;
  // libpq reports a dropped socket without a SQLSTATE.
  return kind_ == ErrorKind::kDatabase && sqlstate_.empty() &&
         (message_.find("server closed the connection") != std::string::npos ||
          message_.find("no connection to the server") != std::string::npos ||
          message_.find("terminating connection") != std::string::npos ||
          message_.find("could not connect") != std::string::npos ||
          message_.find("connection to server") != std::string::npos);
}

std::string Error::ToString() const {
  std::string out;
  std::string_view message = message_;
  if (location_ && !location_->file.empty()) {
    const std::string& file = location_->file;
    // A message that begins with its own file ("V2.sql mixes ...") names the file once: the
    // prefix gives only the line, where there is one.
    bool named = message.size() > file.size() && message.starts_with(file) &&
                 (message[file.size()] == ' ' || message[file.size()] == ':');
    if (named) message.remove_prefix(file.size());
    out = file;
    if (location_->line > 0) {
      out += fmt::format(":{}", location_->line);
      if (location_->column > 0) out += fmt::format(":{}", location_->column);
      if (named) {
        while (!message.empty() && (message.front() == ':' || message.front() == ' ')) {
          message.remove_prefix(1);
        }
      }
      out += ": ";
    } else if (!named) {
      out += ": ";
    }
  }
  out += message;
  if (!sqlstate_.empty()) out += fmt::format(" (SQLSTATE {})", sqlstate_);
  if (!hint_.empty()) out += "\n  hint: " + hint_;
  return out;
}

int Error::ExitCode() const {
  switch (kind_) {
    case ErrorKind::kUsage:
    case ErrorKind::kInput:
      return 2;
    case ErrorKind::kRefused:
      return 3;
    default:
      return 1;
  }
}

const char* Error::KindName() const {
  switch (kind_) {
    case ErrorKind::kUsage: return "usage";
    case ErrorKind::kInput: return "input";
    case ErrorKind::kDatabase: return "database";
    case ErrorKind::kLockTimeout: return "lock_timeout";
    case ErrorKind::kFailed: return "failed";
    case ErrorKind::kRefused: return "refused";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace tide
