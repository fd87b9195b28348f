#include "rehearse/client.h"

#include <cmath>
#include <random>

namespace tide::rehearse {

using Clock = std::chrono::steady_clock;

// Sends the runner's statements over the client's connection. The connection is used only by
// the client's thread; other threads touch it only through CancelRunning (under mu_).
class Client::Host : public ScriptHost {
 public:
  explicit Host(Client& client) : client_(client) {}
  Status Execute(const std::string& sql) override {
    auto r = client_.conn_->Exec(sql);
    if (!r.ok()) return std::move(r).error();
    return Ok();
  }
  bool Sleep(std::chrono::microseconds d) override {
    return client_.SleepUntil(Clock::now() + d, /*wake_when_inactive=*/false);
  }

 private:
  Client& client_;
};

Client::Client(const ClientContext& context, ClientConfig config)
    : context_(context), config_(std::move(config)), stats_(context.max_distinct_errors) {}

Client::~Client() {
  Quit();
  Join();
}

// A session as the release opens it: its application_name and, when it has one, its
// search_path.
Result<pg::Connection> Client::Open() const {
  TIDE_ASSIGN(auto conn, pg::Connection::Open(config_.url, config_.application_name));
  if (!config_.search_path.empty()) {
    TIDE_TRY(conn.Run("SELECT pg_catalog.set_config('search_path', $1, false)",
                      {config_.search_path}));
  }
  return conn;
}

Status Client::Connect() {
  auto conn = Open();
  if (!conn.ok()) return std::move(conn).error();
  std::lock_guard lock(mu_);
  conn_ = std::move(conn).value();
  return Ok();
}

void Client::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Client::SetActive(bool active) {
  {
    std::lock_guard lock(wait_mu_);
    active_.store(active);
  }
  wake_.notify_all();
}

void Client::Quit() {
  {
    std::lock_guard lock(wait_mu_);
    quit_.store(true);
  }
  wake_.notify_all();
}

void Client::CancelRunning() {
  std::lock_guard lock(mu_);
  cancelled_.store(true);
  if (conn_) conn_->Cancel();
}

void Client::Join() {
  if (thread_.joinable()) thread_.join();
}

void Client::WithStats(const std::function<void(ClientStats&)>& f) {
  std::lock_guard lock(mu_);
  f(stats_);
}

bool Client::SleepUntil(Clock::time_point until, bool wake_when_inactive) {
  std::unique_lock lock(wait_mu_);
  wake_.wait_until(lock, until,
                   [&] { return quit_.load() || (wake_when_inactive && !active_.load()); });
  return !quit_.load() && (!wake_when_inactive || active_.load());
}

bool Client::WaitUntilActiveOrQuit() {
  std::unique_lock lock(wait_mu_);
  wake_.wait(lock, [this] { return quit_.load() || active_.load(); });
  return !quit_.load();
}

void Client::Disconnect() {
  std::lock_guard lock(mu_);
  conn_.reset();
}

bool Client::EnsureConnected() {
  {
    std::lock_guard lock(mu_);
    if (conn_ && !conn_->IsBroken()) return true;
  }
  Clock::time_point start = Clock::now();
  auto conn = Open();
  if (conn.ok()) {
    std::lock_guard lock(mu_);
    conn_ = std::move(conn).value();
    return true;
  }
  // The application would have failed this request: it counts, then we try again shortly.
  Record(start, Clock::now(), &conn.error(), context_.phase->load(std::memory_order_relaxed));
  SleepUntil(Clock::now() + context_.reconnect_delay, /*wake_when_inactive=*/true);
  return false;
}

void Client::Record(Clock::time_point start, Clock::time_point end, const Error* error, int phase) {
  int64_t end_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end - context_.t0).count();
  int64_t window = end_ns / context_.window.count();
  int64_t latency_us = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
  {
    std::lock_guard lock(mu_);
    stats_.Record(phase, window, latency_us, error, static_cast<double>(end_ns) / 1e9);
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
}

void Client::AfterFailure() {
  std::lock_guard lock(mu_);
  if (!conn_) return;
  if (conn_->IsBroken()) {
    conn_.reset();  // reconnect before the next request
  } else if (conn_->InTransaction()) {
    (void)conn_->Exec("ROLLBACK");  // a script's BEGIN left an aborted transaction behind
  }
}

void Client::RunOne(ScriptRunner& runner, Clock::time_point start) {
  Host host(*this);
  int phase = context_.phase->load(std::memory_order_relaxed);
  in_flight_since_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(start - context_.t0).count(),
      std::memory_order_relaxed);
  ScriptOutcome outcome = runner.RunOnce(host);
  Clock::time_point end = Clock::now();
  in_flight_since_.store(-1, std::memory_order_relaxed);
  if (outcome.end == ScriptOutcome::End::kStopped) return;
  if (cancelled_.load()) {  // cancelled by Stop(): tide's doing, not the application's
    AfterFailure();
    return;
  }
  if (outcome.end == ScriptOutcome::End::kFailed) {
    Record(start, end, &*outcome.error, phase);
    AfterFailure();
    return;
  }
  Record(start, end, nullptr, phase);
}

void Client::Loop() {
  ScriptRunner runner(config_.workload, config_.client_id, config_.random_seed,
                      config_.default_seed);
  std::mt19937_64 arrivals(config_.random_seed + static_cast<uint64_t>(config_.client_id));
  std::exponential_distribution<double> gap(config_.rate > 0 ? config_.rate : 1.0);
  Clock::time_point next = Clock::now();
  bool was_active = true;
  while (!quit_.load()) {
    if (!active_.load()) {
      Disconnect();  // a replaced instance goes away
      was_active = false;
      if (!WaitUntilActiveOrQuit()) break;
      continue;
    }
    if (!was_active) next = Clock::now();  // a fresh schedule, not a backlog from idle time
    was_active = true;
    if (!EnsureConnected()) continue;
    Clock::time_point start = Clock::now();
    if (config_.rate > 0) {
      next +=
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(arrivals)));
      if (next > start && !SleepUntil(next, /*wake_when_inactive=*/true)) continue;
      start = next;  // latency counts from when the request was due
    }
    RunOne(runner, start);
  }
  Disconnect();
  finished_.store(true);
}

}  // namespace tide::rehearse
