#include "drift/check.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "drift/catalog_reader.h"
#include "migrate/halves.h"
#include "migrate/migrator.h"
#include "migrate/placeholders.h"
#include "pg/scratch_server.h"

namespace tide::drift {

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// What the replay applies: the local files of every migration the history records as applied.
struct Replay {
  source::Discovery files;  // versioned in version order, then repeatables
  std::vector<std::string> warnings;
  std::string label;  // "V1 .. V1.2 (3 files)"
  // Declarative files the database has expanded and not contracted: replayed as far.
  std::optional<source::Version> first_open;
};

bool CountsAsApplied(const store::AppliedMigration& row) {
  return row.type != store::kTypeSchema && row.type != store::kTypeDelete;
}

const source::MigrationFile* LocalFile(const source::Discovery& d,
                                        const store::AppliedMigration& row) {
  if (row.version) {
    auto version = source::Version::Parse(*row.version);
    if (!version.ok()) return nullptr;
    for (const auto& f : d.migrations) {
      if (f.version && *f.version == *version) return &f;
    }
    return nullptr;
  }
  for (const auto& f : d.migrations) {
    if (f.kind == source::MigrationKind::kRepeatable && f.description == row.description) {
      return &f;
    }
  }
  return nullptr;
}

Status AddVersioned(const source::Discovery& local, const store::AppliedMigration& row,
                    Replay& replay) {
  if (row.type == store::kTypeBaseline) {
    return Error::Input(fmt::format("the database was baselined at version {}: no file "
                                    "describes its schema before that, so the history cannot "
                                    "be replayed",
                                    row.version.value_or("?")))
        .WithHint(
            "ignore what the baseline holds with --ignore or [drift] ignore, or check a "
            "database built by the files alone");
  }
  const source::MigrationFile* file = LocalFile(local, row);
  if (!file) {
    return Error::Input(fmt::format("V{} ({}) was applied but its file is not in the migration "
                                    "folders: the history cannot be replayed",
                                    row.version.value_or("?"), row.script))
        .WithHint(
            "tide validate lists what differs; check out the files the database was "
            "migrated with");
  }
  if (row.checksum && *row.checksum != file->checksum) {
    return Error::Input(fmt::format("{} changed since it was applied (checksum {} in the "
                                    "history, {} now): the replay would not build what ran",
                                    file->script, *row.checksum, file->checksum))
        .WithHint(
            "tide validate; tide repair realigns the checksum once the change is "
            "deliberate");
  }
  replay.files.migrations.push_back(*file);
  return Ok();
}

Result<Replay> PlanReplay(const source::Discovery& local,
                          const std::vector<store::AppliedMigration>& rows) {
  Replay replay;
  // The last row of each migration decides (a repair may have deleted an earlier one).
  std::map<std::string, const store::AppliedMigration*> last;
  for (const auto& row : rows) {
    if (!CountsAsApplied(row)) continue;
    last[row.version ? "V" + *row.version : "R" + row.description] = &row;
  }
  std::vector<const store::AppliedMigration*> versioned, repeatable;
  for (const auto& [key, row] : last) {
    if (!row->success) {
      replay.warnings.push_back(fmt::format(
          "{} failed or is half-applied: what it changed so far shows as drift (tide migrate "
          "resumes it)",
          row->script));
      continue;
    }
    (row->version ? versioned : repeatable).push_back(row);
  }
  for (const auto* row : versioned) TIDE_TRY(AddVersioned(local, *row, replay));
  auto& m = replay.files.migrations;
  std::sort(m.begin(), m.end(),
            [](const auto& a, const auto& b) { return *a.version < *b.version; });
  for (const auto* row : repeatable) {
    const source::MigrationFile* file = LocalFile(local, *row);
    if (file && (!row->checksum || *row->checksum == file->checksum)) {
      m.push_back(*file);
    } else {
      replay.warnings.push_back(fmt::format(
          "{} changed since it was applied (or is gone): the replay leaves it out, so what it "
          "built shows as drift until tide migrate applies it again",
          row->script));
    }
  }
  size_t n = m.size();
  replay.label =
      n == 0 ? "no migration applied"
             : fmt::format(
                   "{} file{}{}", n, n == 1 ? "" : "s",
                   versioned.empty() ? "" : ", up to V" + m[versioned.size() - 1].VersionText());
  return replay;
}

// Which declarative migrations the database holds between their halves: the replay stops
// each of those after its expand, as the database has it.
Status FindOpen(store::Session& live, const source::Discovery& local,
                const std::vector<store::AppliedMigration>& rows, Replay& replay) {
  auto statuses = migrate::ComputeStatus(local.migrations, rows, {});
  TIDE_ASSIGN(auto open, migrate::OpenDeclarative(live.conn(), live.schema(), statuses));
  for (const auto& h : open) {
    if (!h.expand_done || !h.file->version) continue;
    if (!replay.first_open || *h.file->version < *replay.first_open) {
      replay.first_open = *h.file->version;
    }
  }
  return Ok();
}

// Applies the replay's files to the scratch database through tide's own migrate path.
Status RunReplay(const config::Settings& settings, const std::string& url, Replay& replay) {
  config::Settings s = settings;
  s.url = url;
  CollectingReporter quiet;  // the scratch run's progress is nobody's business
  TIDE_ASSIGN(auto session, store::Session::Open(s));
  TIDE_TRY(migrate::ResolveRepeatables(s, session.conn(), session.schema(), replay.files));
  migrate::MigrateOptions options;
  options.out_of_order = true;  // exactly the applied files, in their order
  if (!replay.first_open) {
    TIDE_TRY(migrate::Migrate(session, s, replay.files, options, quiet));
    return Ok();
  }
  std::string before;
  for (const auto& f : replay.files.migrations) {
    if (f.version && *f.version < *replay.first_open) before = f.VersionText();
  }
  if (!before.empty()) {
    options.target = before;
    TIDE_TRY(migrate::Migrate(session, s, replay.files, options, quiet));
  }
  options.target = "latest";
  options.phase = migrate::PhaseFilter::kExpand;
  TIDE_TRY(migrate::Migrate(session, s, replay.files, options, quiet));
  // The expand-only pass stops at the first contract half: every applied file must have run.
  TIDE_ASSIGN(auto rows, session.history().Load(session.conn()));
  for (const auto& f : replay.files.migrations) {
    if (!f.version) continue;
    bool ran = std::any_of(rows.begin(), rows.end(), [&](const store::AppliedMigration& r) {
      if (!r.success || !r.version) return false;
      auto v = source::Version::Parse(*r.version);
      return v.ok() && *v == *f.version;
    });
    if (!ran) {
      return Error::Input(fmt::format(
          "the history cannot be replayed as the database has it: {} was applied after V{}, a "
          "declarative migration still between its expand and its contract",
          f.Label(), replay.first_open->text()));
    }
  }
  return Ok();
}

Result<Snapshot> ReadDatabase(const std::string& url, const ReadOptions& options) {
  TIDE_ASSIGN(auto conn, pg::Connection::Open(url, "tide-drift"));
  return ReadSnapshot(conn, options);
}

}  // namespace

Result<DriftReport> CheckDrift(const config::Settings& settings, const CheckOptions& options,
                               Reporter& reporter) {
  DriftReport report;
  TIDE_ASSIGN(std::string url, settings.RequireUrl());
  report.database = pg::RedactConninfo(url);
  TIDE_ASSIGN(auto local, source::DiscoverMigrations(settings, reporter));
  TIDE_ASSIGN(auto live, store::Session::Open(settings));
  TIDE_TRY(migrate::ResolveRepeatables(settings, live.conn(), live.schema(), local));
  TIDE_ASSIGN(auto rows, live.history().Load(live.conn()));
  TIDE_ASSIGN(Replay replay, PlanReplay(local, rows));
  TIDE_TRY(FindOpen(live, local, rows, replay));
  report.history = replay.label;
  report.warnings = replay.warnings;
  if (!settings.locations.empty()) report.artifact = settings.locations.front().string();

  auto started = Clock::now();
  reporter.Info(options.scratch_url.empty() ? "Replaying the history on a throwaway PostgreSQL ..."
                                            : "Replaying the history on a scratch database ...");
  TIDE_ASSIGN(auto server, pg::ScratchServer::Open(options.scratch_url));
  report.scratch =
      server->throwaway() ? "a throwaway PostgreSQL" : pg::RedactConninfo(server->url());
  std::random_device random;
  std::string db = fmt::format("tide_drift_{}_{:x}", getpid(), random());
  TIDE_ASSIGN(auto admin, pg::Connection::Open(server->url(), "tide-drift"));
  TIDE_TRY(admin.Run(fmt::format("CREATE DATABASE {}", db)));
  auto drop = [&] { (void)admin.Run(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db)); };
  TIDE_ASSIGN(std::string scratch_url, server->Database(db));
  Status replayed = RunReplay(settings, scratch_url, replay);
  if (!replayed.ok()) {
    drop();
    Error e = replayed.error();
    return Error::Input("the history could not be replayed on the scratch database: " + e.message())
        .WithHint(e.hint().empty() ? "a migration that needs roles or extensions the scratch "
                                     "server lacks: create them there, or name a server that has "
                                     "them with --scratch-url"
                                   : e.hint());
  }
  report.replay_seconds = Seconds(started);

  started = Clock::now();
  ReadOptions read{options.privileges};
  auto history = ReadDatabase(scratch_url, read);
  drop();
  if (!history.ok()) return history.error();
  TIDE_ASSIGN(Snapshot database, ReadSnapshot(live.conn(), read));
  DiffOptions diff;
  diff.ignore = options.ignore;
  diff.history_schema = live.schema();
  diff.history_table = settings.history_table;
  report.findings = Diff(*history, database, diff);
  report.history_objects = history->objects.size();
  report.database_objects = database.objects.size();
  report.compare_seconds = Seconds(started);
  return report;
}

}  // namespace tide::drift
