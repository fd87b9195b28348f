#include "rehearse/traffic.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "rehearse/client.h"

namespace tide::rehearse {

using Clock = std::chrono::steady_clock;

struct Traffic::Release {
  ReleaseSpec spec;
  std::vector<std::unique_ptr<Client>> clients;
  bool running = false;
  bool stopped = false;
};

// The time series, merged from every client's finished windows.
struct Traffic::Collector {
  struct Window {
    int64_t requests = 0;
    int64_t failures = 0;
    int64_t max_us = 0;
    int64_t oldest_in_flight_us = 0;
    SparseBuckets buckets;
  };
  std::mutex mu;
  std::vector<std::map<int64_t, Window>> by_release;
  ClientContext context;

  void Add(size_t release, const WindowSample& s) {
    std::lock_guard lock(mu);
    Window& w = by_release[release][s.index];
    w.requests += s.requests;
    w.failures += s.failures;
    w.max_us = std::max(w.max_us, s.max_us);
    MergeSparse(w.buckets, s.buckets);
  }
  void InFlight(size_t release, int64_t window, int64_t age_us) {
    std::lock_guard lock(mu);
    Window& w = by_release[release][window];
    w.oldest_in_flight_us = std::max(w.oldest_in_flight_us, age_us);
  }
};

Traffic::Traffic(TrafficOptions options)
    : options_(std::move(options)), collector_(std::make_unique<Collector>()) {
  seed_ = options_.seed ? options_.seed
                        : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  if (options_.window.count() <= 0) options_.window = std::chrono::milliseconds(100);
  ClientContext& c = collector_->context;
  c.window = options_.window;
  c.phase = &phase_;
  c.reconnect_delay = options_.reconnect_delay;
  c.max_distinct_errors = options_.max_distinct_errors;
}

Traffic::~Traffic() { Stop(); }

int64_t Traffic::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
}

double Traffic::Elapsed() const {
  std::lock_guard lock(mu_);
  if (!started_) return 0;
  return static_cast<double>(stopped_ ? stop_ns_ : NowNs()) / 1e9;
}

int64_t Traffic::RequestsSoFar() const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const auto& release : releases_) {
    for (const auto& client : release->clients) n += client->requests();
  }
  return n;
}

Status Traffic::Start() {
  std::lock_guard lock(mu_);
  if (started_) return Error::Usage("the traffic has already started");
  t0_ = Clock::now();
  wall0_ = std::chrono::system_clock::now();
  collector_->context.t0 = t0_;
  phases_.push_back({options_.first_phase, 0, 0});
  started_ = true;
  for (auto& release : releases_) TIDE_TRY(StartClients(*release));
  sampler_ = std::thread([this] { SamplerLoop(); });
  return Ok();
}

// Opens the connections of the active clients first, so a bad URL fails here, not in a thread.
Status Traffic::StartClients(Release& release) {
  int active = static_cast<int>(std::lround(release.spec.weight * release.spec.clients));
  for (int i = 0; i < release.spec.clients; ++i) {
    ClientConfig config;
    config.url = options_.url;
    config.application_name = release.spec.application_name;
    config.workload = release.spec.workload;
    config.client_id = next_client_id_++;
    config.random_seed = seed_;
    config.default_seed = seed_ * 0x9e3779b97f4a7c15ULL + 1;
    config.rate = release.spec.rate_per_client;
    config.search_path = release.spec.search_path;
    auto client = std::make_unique<Client>(collector_->context, std::move(config));
    client->SetActive(i < active);
    if (i < active) {
      Status connected = client->Connect();
      if (!connected.ok()) {
        release.clients.clear();
        return std::move(connected).error().Context(
            fmt::format("release {} ({})", release.spec.name, release.spec.application_name));
      }
    }
    release.clients.push_back(std::move(client));
  }
  for (auto& client : release.clients) client->Start();
  release.running = true;
  return Ok();
}

Status Traffic::AddRelease(ReleaseSpec spec) {
  if (spec.name.empty()) return Error::Usage("a release needs a name");
  if (!spec.workload) return Error::Usage(fmt::format("release {} has no workload", spec.name));
  if (spec.clients < 1) return Error::Usage(fmt::format("release {} needs clients", spec.name));
  if (spec.weight < 0 || spec.weight > 1 || spec.rate_per_client < 0) {
    return Error::Usage(fmt::format("release {}: weight must be 0..1 and rate >= 0", spec.name));
  }
  std::lock_guard lock(mu_);
  if (stopped_) return Error::Usage("the traffic has stopped");
  for (const auto& r : releases_) {
    if (r->spec.name == spec.name) {
      return Error::Usage(fmt::format("release {} was added already", spec.name));
    }
  }
  auto release = std::make_unique<Release>();
  release->spec = std::move(spec);
  if (started_) TIDE_TRY(StartClients(*release));
  {
    std::lock_guard series_lock(collector_->mu);
    collector_->by_release.emplace_back();
  }
  releases_.push_back(std::move(release));
  return Ok();
}

void Traffic::ApplyWeight(Release& release) {
  int active = static_cast<int>(std::lround(release.spec.weight * release.spec.clients));
  for (size_t i = 0; i < release.clients.size(); ++i) {
    release.clients[i]->SetActive(static_cast<int>(i) < active);
  }
}

Status Traffic::SetWeights(const std::map<std::string, double>& weights) {
  std::lock_guard lock(mu_);
  for (const auto& [name, weight] : weights) {
    auto it = std::find_if(releases_.begin(), releases_.end(),
                           [&](const auto& r) { return r->spec.name == name; });
    if (it == releases_.end()) return Error::Usage(fmt::format("no release named {}", name));
    if (weight < 0 || weight > 1) {
      return Error::Usage(
          fmt::format("weight of {} must be between 0 and 1, not {}", name, weight));
    }
  }
  for (auto& release : releases_) {
    auto it = weights.find(release->spec.name);
    if (it == weights.end()) continue;
    release->spec.weight = it->second;
    if (release->running) ApplyWeight(*release);
  }
  return Ok();
}

void Traffic::StopClients(const std::vector<Client*>& clients) {
  for (Client* c : clients) c->Quit();
  Clock::time_point deadline = Clock::now() + options_.stop_grace;
  auto all_done = [&] {
    return std::all_of(clients.begin(), clients.end(), [](Client* c) { return c->finished(); });
  };
  while (!all_done() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (Client* c : clients) {
    if (!c->finished()) c->CancelRunning();
  }
  for (Client* c : clients) c->Join();
}

Status Traffic::StopRelease(const std::string& name) {
  std::vector<Client*> clients;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(releases_.begin(), releases_.end(),
                           [&](const auto& r) { return r->spec.name == name; });
    if (it == releases_.end()) return Error::Usage(fmt::format("no release named {}", name));
    if ((*it)->stopped) return Ok();
    (*it)->stopped = true;
    for (auto& c : (*it)->clients) clients.push_back(c.get());
  }
  StopClients(clients);  // without mu_: the sampler keeps sampling meanwhile
  return Ok();
}

void Traffic::MarkPhase(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!started_ || stopped_) return;
  double now = static_cast<double>(NowNs()) / 1e9;
  phases_.back().end_s = now;
  phases_.push_back({name, now, now});
  phase_.store(static_cast<int>(phases_.size() - 1));
}

void Traffic::Stop() {
  std::vector<Client*> clients;
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) {
      stopped_ = true;
      return;
    }
    stopped_ = true;
    stop_ns_ = NowNs();
    for (auto& r : releases_) {
      r->stopped = true;
      for (auto& c : r->clients) clients.push_back(c.get());
    }
  }
  StopClients(clients);
  sampler_quit_.store(true);
  if (sampler_.joinable()) sampler_.join();
  Sample();
}

void Traffic::SamplerLoop() {
  Clock::time_point next = t0_ + options_.window;
  while (!sampler_quit_.load()) {
    std::this_thread::sleep_until(std::min(next, Clock::now() + std::chrono::milliseconds(20)));
    if (Clock::now() < next) continue;
    next += options_.window;
    Sample();
  }
}

// Takes each client's finished windows and notes the oldest request still in flight.
void Traffic::Sample() const {
  std::lock_guard lock(mu_);
  int64_t now_ns = NowNs();
  int64_t window = now_ns / collector_->context.window.count();
  std::vector<WindowSample> samples;
  for (size_t r = 0; r < releases_.size(); ++r) {
    int64_t oldest = 0;
    for (auto& client : releases_[r]->clients) {
      int64_t since = client->InFlightSinceNs();
      if (since >= 0) oldest = std::max(oldest, (now_ns - since) / 1000);
      // Once stopped, the windows still open are final too.
      int64_t before = stopped_ ? INT64_MAX : window;
      client->WithStats([&](ClientStats& s) { s.DrainWindows(before, samples); });
    }
    for (const WindowSample& s : samples) collector_->Add(r, s);
    samples.clear();
    if (oldest > 0 && !stopped_) collector_->InFlight(r, window, oldest);
  }
}

// Results(): merging what every client recorded into per-release, per-phase figures and
// the time series.

int64_t TrafficResults::TotalFailures() const {
  int64_t n = 0;
  for (const ReleaseFigures& r : releases) n += r.total.failures;
  return n;
}

const ReleaseFigures* TrafficResults::Find(const std::string& release) const {
  for (const ReleaseFigures& r : releases) {
    if (r.name == release) return &r;
  }
  return nullptr;
}

namespace {

std::vector<SeriesPoint> ToPoints(const std::map<int64_t, LatencyHistogram>& hists,
                                  const auto& windows, int64_t last_window, double window_s) {
  std::vector<SeriesPoint> points;
  points.reserve(static_cast<size_t>(last_window + 1));
  for (int64_t w = 0; w <= last_window; ++w) {
    SeriesPoint p;
    p.t_s = static_cast<double>(w) * window_s;
    auto it = windows.find(w);
    if (it != windows.end()) {
      const auto& win = it->second;
      p.requests = win.requests;
      p.failures = win.failures;
      p.max_ms = static_cast<double>(win.max_us) / 1000.0;
      p.oldest_in_flight_ms = static_cast<double>(win.oldest_in_flight_us) / 1000.0;
      auto h = hists.find(w);
      if (h != hists.end()) {
        p.p50_ms = static_cast<double>(h->second.ValueAtPercentile(50)) / 1000.0;
        p.p99_ms =
            std::min(static_cast<double>(h->second.ValueAtPercentile(99)) / 1000.0, p.max_ms);
      }
    }
    points.push_back(p);
  }
  return points;
}

}  // namespace

TrafficResults Traffic::Results() const {
  Sample();  // fold in the windows finished since the last tick
  std::lock_guard lock(mu_);
  TrafficResults out;
  out.window_s = static_cast<double>(options_.window.count()) / 1000.0;
  if (!started_) return out;
  int64_t end_ns = stopped_ ? stop_ns_ : NowNs();
  out.duration_s = static_cast<double>(end_ns) / 1e9;
  out.started_at =
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(wall0_));
  out.phases = phases_;
  out.phases.back().end_s = out.duration_s;
  int64_t last_window = end_ns / collector_->context.window.count();

  for (size_t r = 0; r < releases_.size(); ++r) {
    const Release& release = *releases_[r];
    ReleaseFigures fig;
    fig.name = release.spec.name;
    fig.application_name = release.spec.application_name;
    fig.script = release.spec.workload->source();
    fig.clients = release.spec.clients;
    std::vector<LatencyHistogram> by_phase(out.phases.size(), LatencyHistogram(kPhasePrecision));
    std::vector<int64_t> failures(out.phases.size(), 0);
    ErrorBook errors(options_.max_distinct_errors);
    for (const auto& client : release.clients) {
      client->WithStats([&](ClientStats& s) {
        for (size_t p = 0; p < s.phases().size() && p < by_phase.size(); ++p) {
          by_phase[p].Merge(s.phases()[p].latency);
          failures[p] += s.phases()[p].failures;
          errors.Merge(s.phases()[p].errors);
        }
      });
    }
    LatencyHistogram total(kPhasePrecision);
    int64_t total_failures = 0;
    for (size_t p = 0; p < by_phase.size(); ++p) {
      double seconds = out.phases[p].end_s - out.phases[p].start_s;
      fig.phases.push_back(Summarize(by_phase[p], failures[p], seconds));
      total.Merge(by_phase[p]);
      total_failures += failures[p];
    }
    fig.total = Summarize(total, total_failures, out.duration_s);
    fig.errors = errors.samples();
    std::sort(fig.errors.begin(), fig.errors.end(),
              [](const ErrorSample& a, const ErrorSample& b) { return a.first_s < b.first_s; });
    fig.other_failures = errors.other();
    out.releases.push_back(std::move(fig));

    std::lock_guard series_lock(collector_->mu);
    const auto& windows = collector_->by_release[r];
    std::map<int64_t, LatencyHistogram> hists;
    for (const auto& [w, win] : windows) {
      LatencyHistogram h(kWindowPrecision);
      for (auto [bucket, n] : win.buckets) h.AddBucket(bucket, n);
      hists.emplace(w, std::move(h));
    }
    out.series.push_back({release.spec.name, ToPoints(hists, windows, last_window, out.window_s)});
  }
  return out;
}

}  // namespace tide::rehearse
