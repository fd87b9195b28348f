#include "rehearse/script_runner.h"

#include <fmt/format.h>

namespace tide::rehearse {

ScriptRunner::ScriptRunner(std::shared_ptr<const Workload> workload, int client_id,
                           uint64_t random_seed, uint64_t default_seed)
    : workload_(std::move(workload)),
      vars_(workload_->InitialVariables(client_id, random_seed, default_seed)),
      rng_(random_seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(client_id + 1))) {
  size_t n = vars_.values.size();
  text_.resize(n);
  text_valid_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (const std::string* given = workload_->GivenText(static_cast<int>(i))) {
      text_[i] = *given;
      text_valid_[i] = 1;
    }
  }
}

const std::string& ScriptRunner::TextOf(int slot) {
  size_t i = static_cast<size_t>(slot);
  if (!text_valid_[i]) {
    text_[i] = FormatValue(vars_.values[i]);
    text_valid_[i] = 1;
  }
  return text_[i];
}

std::string ScriptRunner::Interpolate(const Command& command) {
  std::string out;
  InterpolateInto(command, out);
  return out;
}

void ScriptRunner::InterpolateInto(const Command& command, std::string& out) {
  out.clear();  // keeps its capacity: no allocation per statement once warm
  for (const SqlPiece& piece : command.pieces) {
    if (piece.slot >= 0 && vars_.defined[static_cast<size_t>(piece.slot)]) {
      out += TextOf(piece.slot);
    } else {
      out += piece.text;  // not set yet: pgbench leaves ":name" as written
    }
  }
}

Status ScriptRunner::RunCommand(const Command& command, ScriptHost& host, bool* stopped) {
  switch (command.kind) {
    case Command::Kind::kSet: {
      TIDE_ASSIGN(Value v, Eval(command.expr, vars_, rng_));
      size_t slot = static_cast<size_t>(command.slot);
      vars_.values[slot] = v;
      vars_.defined[slot] = 1;
      text_valid_[slot] = 0;
      return Ok();
    }
    case Command::Kind::kSleep: {
      int64_t amount = command.sleep_amount;
      if (command.sleep_slot >= 0) {
        size_t slot = static_cast<size_t>(command.sleep_slot);
        if (!vars_.defined[slot]) {
          return Error::Failed(
              fmt::format("\\sleep: undefined variable \"{}\"", workload_->variable_names()[slot]));
        }
        TIDE_ASSIGN(amount, ToInt(vars_.values[slot]));
      }
      int64_t us = amount * command.sleep_unit_us;
      if (us > 0 && !host.Sleep(std::chrono::microseconds(us))) *stopped = true;
      return Ok();
    }
    case Command::Kind::kSql:
      InterpolateInto(command, sql_);
      return host.Execute(sql_);
  }
  return Ok();
}

ScriptOutcome ScriptRunner::RunOnce(ScriptHost& host) {
  ScriptOutcome outcome;
  for (const Command& command : workload_->commands()) {
    bool stopped = false;
    Status status = RunCommand(command, host, &stopped);
    if (stopped) {
      outcome.end = ScriptOutcome::End::kStopped;
      return outcome;
    }
    if (!status.ok()) {
      outcome.end = ScriptOutcome::End::kFailed;
      Error error = std::move(status).error();
      if (error.location()) {
        outcome.error = std::move(error);
      } else {
        // Moved into a new object: assigning At()'s result back to `error` would self-move.
        outcome.error = Error(std::move(error).At({workload_->source(), command.line, 0}));
      }
      return outcome;
    }
  }
  return outcome;
}

}  // namespace tide::rehearse
