// The default generators (one per device) and the Generator's seed and state handling (Note
// [Generators] in rng.h).
#include "rng.h"

#include <array>
#include <cstring>
#include <memory>
#include <random>

#include "error.h"

namespace pe {

namespace {

constexpr int kMaxCudaDevices = 64;
constexpr char kStateTag[8] = {'p', 'e', 'P', 'h', 'i', 'l', '1', '0'};  // "pePhil10": Philox4x32-10 state

std::mutex g_defaults_mu;
uint64_t g_last_manual_seed = Generator::kDefaultSeed;  // for CUDA defaults made after manual_seed

std::array<std::unique_ptr<Generator>, kMaxCudaDevices>& cuda_defaults() {
  static auto* gens = new std::array<std::unique_ptr<Generator>, kMaxCudaDevices>();  // immortal
  return *gens;
}

void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

}  // namespace

uint64_t Generator::seed() {
  std::random_device rd;
  uint64_t s = ((uint64_t)rd() << 32) ^ (uint64_t)rd();
  s &= (1ULL << 63) - 1;  // PyTorch's seeds fit in int64 too
  manual_seed(s);
  return s;
}

void Generator::get_state(uint8_t out[kStateSize]) const {
  std::lock_guard<std::mutex> g(mu_);
  std::memcpy(out, kStateTag, 8);
  put_u64(out + 8, seed_);
  put_u64(out + 16, offset_);
}

void Generator::set_state(const uint8_t* state, size_t n) {
  PE_CHECK(n == kStateSize, "Expected a Philox generator state of ", kStateSize,
           " bytes but found the input RNG state size to be ", n);
  PE_CHECK(std::memcmp(state, kStateTag, 8) == 0,
           "Invalid generator state: not a state returned by Generator.get_state() (unknown format tag)");
  std::lock_guard<std::mutex> g(mu_);
  seed_ = get_u64(state + 8);
  offset_ = get_u64(state + 16);
}

Generator& default_generator(Device device) {
  static Generator cpu;
  if (device.is_cpu()) return cpu;
  if (device.is_meta()) {  // meta kernels draw nothing; a generator of its own keeps the CPU's stream untouched
    static Generator meta(Device(DeviceType::Meta));
    return meta;
  }
  int idx = device.index < 0 ? 0 : device.index;
  PE_CHECK(idx < kMaxCudaDevices, "CUDA device index ", idx, " is out of range for the default generators");
  std::lock_guard<std::mutex> g(g_defaults_mu);
  auto& slot = cuda_defaults()[idx];
  if (!slot) slot = std::make_unique<Generator>(Device(DeviceType::CUDA, idx), g_last_manual_seed);
  return *slot;
}

Generator& generator_or_default(Generator* gen, Device device) {
  if (!gen) return default_generator(device);
  PE_CHECK(gen->device().type == device.type, "Expected a '", device.type_name(),
           "' device type for generator but found '", gen->device().type_name(), "'");
  return *gen;
}

void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
  std::lock_guard<std::mutex> g(g_defaults_mu);
  g_last_manual_seed = seed;
  for (auto& gen : cuda_defaults())
    if (gen) gen->manual_seed(seed);
}

uint64_t initial_seed() { return default_generator().initial_seed(); }

}  // namespace pe
