// Philox4x32-10, a counter-based generator: the numbers for element i depend only on (seed, offset,
// i), so CPU loops can run in parallel and a CUDA kernel computes the same values for the same seed.
#pragma once
#include <cmath>
#include <cstdint>
#include <mutex>
#include <type_traits>

#include "device.h"
#include "half.h"

#include "macros.h"

namespace pe {

struct Philox {
  uint32_t key0, key1;
  PE_HOST_DEVICE Philox(uint64_t seed) : key0((uint32_t)seed), key1((uint32_t)(seed >> 32)) {}

  // Four 32-bit random words for the 64-bit counter `ctr`.
  PE_HOST_DEVICE void operator()(uint64_t ctr, uint32_t out[4]) const {
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = key0, k1 = key1;
    for (int r = 0; r < 10; ++r) {
      uint64_t p0 = (uint64_t)0xD2511F53u * c0;
      uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
      uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
      uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
      c1 = (uint32_t)p1;
      c3 = (uint32_t)p0;
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
  }
};

// Uniform in [0, 1) from 24 bits (float) or 53 bits (double).
PE_HOST_DEVICE inline float uint_to_unit_float(uint32_t x) { return (x >> 8) * (1.0f / 16777216.0f); }
PE_HOST_DEVICE inline double uints_to_unit_double(uint32_t hi, uint32_t lo) {
  uint64_t v = ((uint64_t)hi << 32 | lo) >> 11;
  return v * (1.0 / 9007199254740992.0);
}

// Note [Random number layout]
// Element i of a random fill uses Philox block (first_block + i / 4) and its word i % 4; a value
// needing more bits (double) uses words (i % 4) and ((i % 4) + 1) % 4 of the same block. A normal
// value is Box-Muller on the element's own uniform and the uniform of a second block
// (first_block + n_blocks + i / 4) so no pairing between elements is needed. A fill of n elements
// consumes 2 * ceil(n / 4) blocks. CPU and CUDA kernels both call these functions, so one seed gives
// the same numbers on both devices.
PE_HOST_DEVICE inline uint64_t philox_blocks(int64_t n) { return 2 * (((uint64_t)n + 3) / 4); }

// A uniform number in [0, 1) with `bits` random bits (24 for float, 53 for double, 11 for half,
// 8 for bfloat16), so that rounding to the dtype never yields 1.
PE_HOST_DEVICE inline double philox_unit(const Philox& g, uint64_t block, int64_t i, int bits) {
  uint32_t w[4];
  g(block, w);
  int lane = (int)(i & 3);
  if (bits <= 32) return (double)(w[lane] >> (32 - bits)) / (double)(1ULL << bits);
  uint64_t v = ((uint64_t)w[lane] << 32 | w[(lane + 1) & 3]) >> (64 - bits);
  return (double)v / (double)(1ULL << bits);
}

PE_HOST_DEVICE inline double philox_uniform_at(const Philox& g, uint64_t first_block, int64_t i, int bits) {
  return philox_unit(g, first_block + (uint64_t)i / 4, i, bits);
}

PE_HOST_DEVICE inline double philox_normal_at(const Philox& g, uint64_t first_block, int64_t n, int64_t i) {
  double u1 = philox_unit(g, first_block + (uint64_t)i / 4, i, 53);
  double u2 = philox_unit(g, first_block + ((uint64_t)n + 3) / 4 + (uint64_t)i / 4, i, 53);
  // 1 - u1 is in (0, 1]: log never sees 0.
  return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

// Random bits per value of dtype T: its significand, so that rounding u to T never gives 1.
template <class T>
constexpr int random_bits() {
  if constexpr (std::is_same_v<T, double>) return 53;
  if constexpr (std::is_same_v<T, Half>) return 11;
  if constexpr (std::is_same_v<T, BFloat16>) return 8;
  return 24;
}

// Note [Generators]
// A Generator is a Philox key (the seed) and a counter offset that every random op advances by the
// number of Philox blocks it consumed; the numbers of an op depend only on (seed, offset), so they are
// reproducible from the seed and independent between generators. Each device has a default one
// (`default_generator(device)`, PyTorch's torch.default_generator and torch.cuda.default_generators);
// a user's `torch.Generator(device)` is another instance, and every op that takes `generator=` draws
// from it instead (generator_or_default checks that its device type matches the tensor's). The state
// is kStateSize bytes: a tag, the seed and the offset (little-endian), validated by set_state.
class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // PyTorch's default seed
  static constexpr size_t kStateSize = 24;

  explicit Generator(Device device = Device(), uint64_t seed = kDefaultSeed) : device_(device), seed_(seed) {}
  Device device() const { return device_; }
  void manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> g(mu_);
    seed_ = seed;
    offset_ = 0;
  }
  // Re-seeds from a non-deterministic source; returns the new seed.
  uint64_t seed();
  uint64_t initial_seed() const {
    std::lock_guard<std::mutex> g(mu_);
    return seed_;
  }
  uint64_t offset() const {
    std::lock_guard<std::mutex> g(mu_);
    return offset_;
  }
  void get_state(uint8_t out[kStateSize]) const;
  // Throws RuntimeError on a state of the wrong size or tag.
  void set_state(const uint8_t* state, size_t n);
  // Reserves `blocks` counters; returns (seed, first counter).
  void reserve(uint64_t blocks, uint64_t* seed, uint64_t* first) {
    std::lock_guard<std::mutex> g(mu_);
    *seed = seed_;
    *first = offset_;
    offset_ += blocks;
  }

 private:
  mutable std::mutex mu_;
  Device device_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator(Device device = Device());
// `gen` when given (its device type must be `device`'s: PyTorch's error otherwise), else the
// device's default generator.
Generator& generator_or_default(Generator* gen, Device device);
void manual_seed(uint64_t seed);  // seeds every device's default generator
uint64_t initial_seed();          // the CPU default generator's

}  // namespace pe
