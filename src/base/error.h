#pragma once
// One error type for all of tide, with named constructors (after LevelDB's Status), and
// Result<T>: a value or an Error (after ccache's expected). Errors travel up by value; the CLI
// turns the one that reaches it into a message and an exit code.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tide {

enum class ErrorKind {
  kUsage,        // bad flags or arguments                      -> exit 2
  kInput,        // a file or setting tide cannot accept          -> exit 2
  kDatabase,     // the server returned an error                  -> exit 1
  kLockTimeout,  // a lock could not be had within the budget     -> exit 1
  kFailed,       // a check or a step failed                      -> exit 1
  kRefused,      // a gate said no (old release still connected) -> exit 3
  kIo,           // the file system or a child process failed     -> exit 1
  kInternal,     // a bug in tide                                 -> exit 1
};

// Where in a file an error points. line and column are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

class Error {
 public:
  static Error Usage(std::string message) { return Error(ErrorKind::kUsage, std::move(message)); }
  static Error Input(std::string message) { return Error(ErrorKind::kInput, std::move(message)); }
  static Error Failed(std::string message) { return Error(ErrorKind::kFailed, std::move(message)); }
  static Error Refused(std::string message) {
    return Error(ErrorKind::kRefused, std::move(message));
  }
  static Error Io(std::string message) { return Error(ErrorKind::kIo, std::move(message)); }
  static Error Internal(std::string message) {
    return Error(ErrorKind::kInternal, std::move(message));
  }
  static Error LockTimeout(std::string message) {
    return Error(ErrorKind::kLockTimeout, std::move(message));
  }
  // sqlstate: the five-character code from the server, e.g. "55P03".
  static Error Database(std::string message, std::string sqlstate) {
    Error e(ErrorKind::kDatabase, std::move(message));
    e.sqlstate_ = std::move(sqlstate);
    return e;
  }

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& hint() const { return hint_; }
  const std::optional<SourceLocation>& location() const { return location_; }
  // 1-based character position in the statement the server rejected; 0 if none.
  int position() const { return position_; }

  // The chaining methods return a new Error by value, so `e = std::move(e).WithHint(h)` is as
  // safe as building one in a single expression.

  // Adds what the user can do about it, printed on its own line.
  Error WithHint(std::string hint) && {
    hint_ = std::move(hint);
    return std::move(*this);
  }
  Error WithPosition(int position) && {
    position_ = position;
    return std::move(*this);
  }
  Error At(SourceLocation where) && {
    location_ = std::move(where);
    return std::move(*this);
  }
  // Prefixes the message with what tide was doing: "reading tide.toml: <message>".
  Error Context(const std::string& doing) && {
    message_ = doing + ": " + message_;
    return std::move(*this);
  }
  // A copy with more context, for errors held by const reference.
  Error WithContext(const std::string& doing) const {
    Error copy = *this;
    return std::move(copy).Context(doing);
  }

  bool IsLockTimeout() const { return kind_ == ErrorKind::kLockTimeout || sqlstate_ == "55P03"; }
  // Lost connection, server shutting down or restarting: worth reconnecting for.
  bool IsConnectionLoss() const;

  // "file:line:col: message" followed by "  hint: ..." when there is one.
  std::string ToString() const;
  int ExitCode() const;
  const char* KindName() const;

 private:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind_;
  std::string message_;
  std::string sqlstate_;
  std::string hint_;
  std::optional<SourceLocation> location_;
  int position_ = 0;
};

// A value of type T, or the Error that prevented it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

 private:
  std::variant<T, Error> data_;
};

// Success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace tide

#define TIDE_CONCAT_INNER(a, b) a##b
#define TIDE_CONCAT(a, b) TIDE_CONCAT_INNER(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define TIDE_TRY(expr)                                  \
  do {                                                  \
    auto&& tide_try_status_ = (expr);                   \
    if (!tide_try_status_.ok()) {                       \
      return std::move(tide_try_status_).error();       \
    }                                                   \
  } while (0)

// Declares or assigns `lhs` from a Result expression, returning its error on failure:
//   TIDE_ASSIGN(auto conn, Connection::Open(url));
#define TIDE_ASSIGN(lhs, expr) TIDE_ASSIGN_IMPL(TIDE_CONCAT(tide_result_, __LINE__), lhs, expr)
#define TIDE_ASSIGN_IMPL(tmp, lhs, expr)  \
  auto tmp = (expr);                      \
  if (!tmp.ok()) {                        \
    return std::move(tmp).error();        \
  }                                       \
  lhs = std::move(tmp).value()
