#include "rehearse/random.h"

#include <cmath>
#include <numbers>

namespace tide::rehearse {

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// A value in (0, 1]: the logarithms below must never see 0.
double OpenUnit(Prng& rng) { return 1.0 - rng.NextDouble(); }

}  // namespace

Prng::Prng(uint64_t seed) {
  for (auto& s : s_) s = SplitMix(seed);
}

uint64_t Prng::Next() {
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Prng::NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

uint64_t Prng::Below(uint64_t range) {
  if (range == UINT64_MAX) return Next();
  uint64_t n = range + 1;
  // Reject the top partial block so every value is equally likely.
  uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  uint64_t x;
  do {
    x = Next();
  } while (x >= limit);
  return x % n;
}

int64_t RandomUniform(Prng& rng, int64_t lb, int64_t ub) {
  uint64_t range = static_cast<uint64_t>(ub) - static_cast<uint64_t>(lb);
  return static_cast<int64_t>(static_cast<uint64_t>(lb) + rng.Below(range));
}

int64_t RandomExponential(Prng& rng, int64_t lb, int64_t ub, double parameter) {
  double cut = std::exp(-parameter);
  double uniform = OpenUnit(rng);
  double r = -std::log(cut + (1.0 - cut) * uniform) / parameter;  // in [0, 1)
  return lb + static_cast<int64_t>(static_cast<double>(ub - lb + 1) * r);
}

int64_t RandomGaussian(Prng& rng, int64_t lb, int64_t ub, double parameter) {
  double stdev;
  do {
    // Box-Muller, as pgbench's pg_prng_double_normal.
    double u1 = OpenUnit(rng);
    double u2 = rng.NextDouble();
    stdev = std::sqrt(-2.0 * std::log(u1)) * std::sin(2.0 * std::numbers::pi * u2);
  } while (stdev < -parameter || stdev >= parameter);
  double r = (stdev + parameter) / (parameter * 2.0);  // in [0, 1)
  return lb + static_cast<int64_t>(static_cast<double>(ub - lb + 1) * r);
}

int64_t RandomZipfian(Prng& rng, int64_t lb, int64_t ub, double s) {
  int64_t n = ub - lb + 1;
  if (n <= 1) return lb;
  double b = std::pow(2.0, s - 1.0);
  double x;
  while (true) {
    double u = rng.NextDouble();
    double v = rng.NextDouble();
    x = std::floor(std::pow(u, -1.0 / (s - 1.0)));
    double t = std::pow(1.0 + 1.0 / x, s - 1.0);
    if (v * x * (t - 1.0) / (b - 1.0) <= t / b && x <= static_cast<double>(n)) break;
  }
  return lb - 1 + static_cast<int64_t>(x);
}

int64_t HashMurmur2(int64_t value, uint64_t seed) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  constexpr int kRot = 47;
  uint64_t result = seed ^ (sizeof(int64_t) * kMul);
  uint64_t k = static_cast<uint64_t>(value);
  k *= kMul;
  k ^= k >> kRot;
  k *= kMul;
  result ^= k;
  result *= kMul;
  result ^= result >> kRot;
  result *= kMul;
  result ^= result >> kRot;
  return static_cast<int64_t>(result);
}

int64_t HashFnv1a(int64_t value, uint64_t seed) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  uint64_t result = kOffsetBasis ^ seed;
  uint64_t v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    result ^= v & 0xff;
    v >>= 8;
    result *= kPrime;
  }
  return static_cast<int64_t>(result);
}

}  // namespace tide::rehearse
