// The profiler's recording hook (torch.profiler's RecordFunction): a RAII scope that records one named
// range (start, end, thread, parent, input shapes) while a profiler is on. Note [Profiler hook].
#pragma once
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/macros.h"
#include "core/tensor.h"

namespace pe::profiler {

// Note [Profiler hook]
// pyengine has no dispatcher with observer keys, so recording happens at the entries that all work passes
// through: the Python-visible op entry points (pyengine/profiler/_recorder.py opens a scope around each call
// while profiling), the autograd engine (one scope per backward node, named as PyTorch names it) and any C++
// op that opens a RecordScope. Off, a scope costs one relaxed atomic load and a branch; no name is built and
// no clock is read. On, events go to one process-wide list (guarded by a mutex: profiling is not the fast
// path) with the parent taken from a thread-local stack, so self time and nesting follow from the ids.

struct Event {
  std::string name;
  int64_t id = 0;
  int64_t parent = -1;    // id of the enclosing scope on the same thread, -1 at top level
  int64_t start_ns = 0;   // steady clock (CLOCK_MONOTONIC: the clock of Python's time.perf_counter_ns)
  int64_t end_ns = 0;
  uint64_t thread = 0;    // pthread_self(), as Python's threading.get_ident()
  bool user = false;      // a record_function range
  bool has_shapes = false;
  std::vector<std::vector<int64_t>> shapes;
};

extern std::atomic<bool> g_active;
inline bool active() { return g_active.load(std::memory_order_relaxed); }

void enable(bool record_shapes);
void disable();
bool record_shapes();
// The events finished since the last drain (those still open stay for the next one).
std::vector<Event> drain();

// Opens a scope; returns its id (a negative id when recording is off). Shapes are recorded only when the
// profiler asked for them (record_shapes).
int64_t begin(std::string name, std::vector<std::vector<int64_t>> shapes, bool user);
int64_t begin_tensors(const char* name, std::initializer_list<const Tensor*> inputs);
void end(int64_t id);

// RecordScope guard("aten::mm", {&a, &b}): records the enclosing C++ block while profiling.
class RecordScope {
 public:
  RecordScope(const char* name, std::initializer_list<const Tensor*> inputs = {}) {
    if (PE_UNLIKELY(active())) id_ = begin_tensors(name, inputs);
  }
  // For names built at run time (a node's name): the callable runs only when recording; an empty name
  // records nothing.
  template <class NameFn, class = decltype(std::string(std::declval<NameFn>()()))>
  explicit RecordScope(NameFn&& make_name) {
    if (PE_UNLIKELY(active())) {
      std::string name = make_name();
      if (!name.empty()) id_ = begin(std::move(name), {}, false);
    }
  }
  ~RecordScope() {
    if (PE_UNLIKELY(id_ >= 0)) end(id_);
  }
  RecordScope(const RecordScope&) = delete;
  RecordScope& operator=(const RecordScope&) = delete;

 private:
  int64_t id_ = -1;
};

}  // namespace pe::profiler
