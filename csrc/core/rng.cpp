// The default generators.
#include "rng.h"

namespace pe {

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }
uint64_t initial_seed() { return default_generator().seed(); }

}  // namespace pe
