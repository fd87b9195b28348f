#pragma once
// The load driver of a rehearsal: simulated application instances ("clients") of one or more
// releases send their workload script's requests to the database while the caller migrates it.
//
// Model: a release (v1, v2, ...) has a workload script, an application_name (what the gate sees
// in pg_stat_activity) and a number of clients. Each client is a thread with its own libpq
// connection that runs the script in a loop, back to back or at a fixed rate. A release's
// weight, between 0 and 1, is the share of its clients running: a rolling deploy moves weight
// from v1 to v2, and a client whose share is withdrawn closes its connection, as a replaced
// instance would. A request is one run of the script; one that fails is counted with its error
// and the client carries on (reconnecting when the connection broke).
//
// Phases: the caller marks named phases ("expand", "rolling deploy", ...); a request belongs to
// the phase in which it started. The time series counts a request in the window in which it
// finished.
//
// Threading: the public methods may be called from any thread. Clients record into their own
// histograms under their own (uncontended) mutex; Results() merges them.
//
// A rolling deploy, as the rehearsal drives it:
//   TIDE_ASSIGN(auto v1, Workload::Load("workload/app-v1.sql", {{"rows", "2000000"}}));
//   TIDE_ASSIGN(auto v2, Workload::Load("workload/app-v2.sql", {{"rows", "2000000"}}));
//   TrafficOptions options;
//   options.url = url;
//   Traffic traffic(options);
//   TIDE_TRY(traffic.AddRelease({"v1", "customer-api/1.0", v1, /*clients=*/4, 0, 1, ""}));
//   TIDE_TRY(traffic.AddRelease({"v2", "customer-api/2.0", v2, 4, 0, /*weight=*/0, ""}));
//   TIDE_TRY(traffic.Start());                        // phase "baseline"
//   traffic.MarkPhase("expand");          ... run the expand ...
//   traffic.MarkPhase("rolling deploy");  TIDE_TRY(traffic.SetWeights({{"v1", .5}, {"v2", .5}}));
//                                         TIDE_TRY(traffic.SetWeights({{"v1", 0}, {"v2", 1}}));
//   TIDE_TRY(traffic.StopRelease("v1"));  // no v1 connection left: the gate can pass
//   traffic.MarkPhase("contract");        ... run the contract ...
//   traffic.Stop();
//   Report report;
//   report.traffic = traffic.Results();
//   report.steps = steps;  // as the executor measured them, on the same clock (Elapsed())
//   write RenderHtml(report), RenderText(report), ToJson(report).dump(2)

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "rehearse/results.h"
#include "rehearse/workload.h"

namespace tide::rehearse {

struct TrafficOptions {
  std::string url;                        // libpq conninfo of the database under test
  std::chrono::milliseconds window{100};  // time series resolution
  std::string first_phase = "baseline";   // the phase that Start() opens
  uint64_t seed = 0;                      // 0: a fresh random seed
  // Stop() lets running requests finish for this long, then cancels them (not counted).
  std::chrono::milliseconds stop_grace{2000};
  std::chrono::milliseconds reconnect_delay{100};  // between failed connection attempts
  int max_distinct_errors = 5;                     // kept per release, the rest only counted
};

struct ReleaseSpec {
  std::string name;              // "v1"
  std::string application_name;  // "customer-api/1.0"
  std::shared_ptr<const Workload> workload;
  int clients = 1;
  // Requests per second per client, as Poisson arrivals, latency measured from the scheduled
  // start (a stall then delays every request due, as users would feel it). 0: back to back.
  double rate_per_client = 0;
  double weight = 1;  // share of the clients running, 0..1
  // The release's search_path ("" keeps the server's): a new release sees a declarative
  // migration's new shape through the views schema tide creates (tide search-path).
  std::string search_path;
};

class Client;

class Traffic {
 public:
  explicit Traffic(TrafficOptions options);
  ~Traffic();  // stops what still runs
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  // Starts the clock, the first phase and the clients of releases added so far.
  Status Start();
  // Adds a release; once started, its clients start at once. Error::Usage for a duplicate name or
  // a bad spec; the database's error when its first connection cannot be opened.
  Status AddRelease(ReleaseSpec spec);
  // Sets the weights of the releases named (others keep theirs). Error::Usage for an unknown name
  // or a weight outside 0..1.
  Status SetWeights(const std::map<std::string, double>& weights);
  // Stops a release's clients and closes their connections (waits for them; requests still
  // running after the grace period are cancelled). Its figures stay in Results().
  Status StopRelease(const std::string& name);
  // Ends the current phase and opens a new one now.
  void MarkPhase(const std::string& name);
  // Stops every client; idempotent.
  void Stop();

  // The figures so far (while running) or final (after Stop()).
  TrafficResults Results() const;
  // Seconds since Start().
  double Elapsed() const;
  // The total number of requests finished so far, cheaply (for progress lines).
  int64_t RequestsSoFar() const;

 private:
  struct Release;
  struct Collector;
  int64_t NowNs() const;
  void Sample() const;
  void SamplerLoop();
  Status StartClients(Release& release);
  void StopClients(const std::vector<Client*>& clients);
  void ApplyWeight(Release& release);

  TrafficOptions options_;
  mutable std::mutex mu_;  // releases_, phases_, started_/stopped_
  std::vector<std::unique_ptr<Release>> releases_;
  std::vector<PhaseSpan> phases_;
  std::atomic<int> phase_{0};
  std::chrono::steady_clock::time_point t0_;
  std::chrono::system_clock::time_point wall0_;
  bool started_ = false;
  bool stopped_ = false;
  int64_t stop_ns_ = 0;
  int next_client_id_ = 0;
  uint64_t seed_ = 0;
  std::unique_ptr<Collector> collector_;
  std::atomic<bool> sampler_quit_{false};
  std::thread sampler_;
};

}  // namespace tide::rehearse
