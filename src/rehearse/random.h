#pragma once
// Random numbers for workload scripts: a small fast generator per client (no locks, no sharing)
// and pgbench's distributions and hash functions, computed the way pgbench computes them.

#include <cstdint>

namespace tide::rehearse {

// xoshiro256** seeded through splitmix64: fast, good enough for load generation, not for secrets.
class Prng {
 public:
  explicit Prng(uint64_t seed = 0);
  uint64_t Next();
  // Uniform in [0, 1).
  double NextDouble();
  // Uniform in [0, range], without modulo bias.
  uint64_t Below(uint64_t range);

 private:
  uint64_t s_[4];
};

// pgbench's random(lb, ub): uniform in [lb, ub]; callers check lb <= ub and that ub - lb + 1 fits.
int64_t RandomUniform(Prng& rng, int64_t lb, int64_t ub);
// random_exponential(lb, ub, parameter): parameter > 0; density at ub is exp(-parameter).
int64_t RandomExponential(Prng& rng, int64_t lb, int64_t ub, double parameter);
// random_gaussian(lb, ub, parameter): parameter >= 2, the number of standard deviations in range.
int64_t RandomGaussian(Prng& rng, int64_t lb, int64_t ub, double parameter);
// random_zipfian(lb, ub, s): 1.001 <= s <= 1000 (pgbench's rejection method, Devroye p. 550).
int64_t RandomZipfian(Prng& rng, int64_t lb, int64_t ub, double s);

inline constexpr double kMinGaussianParameter = 2.0;
inline constexpr double kMinZipfianParameter = 1.001;
inline constexpr double kMaxZipfianParameter = 1000.0;

// hash_murmur2(v, seed) and hash_fnv1a(v, seed): bit-for-bit pgbench's, so scripts that derive
// keys from hashes touch the same rows under tide as under pgbench.
int64_t HashMurmur2(int64_t value, uint64_t seed);
int64_t HashFnv1a(int64_t value, uint64_t seed);

}  // namespace tide::rehearse
