#pragma once
// One simulated application instance: a thread with its own connection running a release's
// script in a loop. Internal to Traffic.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pg/connection.h"
#include "rehearse/client_stats.h"
#include "rehearse/script_runner.h"

namespace tide::rehearse {

// What every client of a traffic shares, read-only or atomic.
struct ClientContext {
  std::chrono::steady_clock::time_point t0;
  std::chrono::nanoseconds window{100'000'000};
  const std::atomic<int>* phase = nullptr;
  std::chrono::milliseconds reconnect_delay{100};
  int max_distinct_errors = 5;
};

struct ClientConfig {
  std::string url;
  std::string application_name;
  std::shared_ptr<const Workload> workload;
  int client_id = 0;
  uint64_t random_seed = 0;
  uint64_t default_seed = 0;
  double rate = 0;  // requests per second; 0: back to back
  std::string search_path;  // set on the connection when not empty
};

class Client {
 public:
  Client(const ClientContext& context, ClientConfig config);
  ~Client();  // joins the thread (Quit() first)

  // Opens the connection now, in the caller's thread, so a bad URL is reported at once.
  Status Connect();
  void Start();
  // Active clients run requests; inactive ones close their connection and wait.
  void SetActive(bool active);
  bool active() const { return active_.load(); }
  // Asks the thread to end after its current request.
  void Quit();
  // Cancels the statement running now; the request is then not counted.
  void CancelRunning();
  void Join();
  bool finished() const { return finished_.load(); }

  // The start of the request in flight (ns since t0), or -1 when idle.
  int64_t InFlightSinceNs() const { return in_flight_since_.load(std::memory_order_relaxed); }
  // Requests finished so far, read without the client's mutex (progress lines).
  int64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  // Runs f on the client's stats under its mutex.
  void WithStats(const std::function<void(ClientStats&)>& f);

 private:
  class Host;
  void Loop();
  bool WaitUntilActiveOrQuit();
  // Sleeps until `until`, Quit() or (if asked) deactivation; false when woken early by those.
  bool SleepUntil(std::chrono::steady_clock::time_point until, bool wake_when_inactive);
  void RunOne(ScriptRunner& runner, std::chrono::steady_clock::time_point start);
  void Record(std::chrono::steady_clock::time_point start,
              std::chrono::steady_clock::time_point end, const Error* error, int phase);
  void AfterFailure();
  Result<pg::Connection> Open() const;
  bool EnsureConnected();
  void Disconnect();

  const ClientContext& context_;
  ClientConfig config_;
  std::thread thread_;
  std::atomic<bool> active_{true};
  std::atomic<bool> quit_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int64_t> in_flight_since_{-1};
  std::atomic<int64_t> requests_{0};  // per client: not one counter every client writes
  std::mutex wait_mu_;                // with wake_: waiting for activation, quit, or a sleep's end
  std::condition_variable wake_;
  std::mutex mu_;  // conn_ replacement vs CancelRunning, and stats_
  std::optional<pg::Connection> conn_;
  ClientStats stats_;
};

}  // namespace tide::rehearse
