// The profiler's event list and scopes (profiler_hook.h, Note [Profiler hook]).
#include "core/profiler_hook.h"

#include <pthread.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace pe::profiler {

std::atomic<bool> g_active{false};

namespace {

std::atomic<bool> g_record_shapes{false};
std::mutex g_mutex;
int64_t g_next_id = 0;
std::unordered_map<int64_t, Event> g_open;  // begun, not yet ended
std::vector<Event> g_done;
thread_local std::vector<int64_t> t_stack;  // ids of this thread's open scopes, innermost last

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void enable(bool shapes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_record_shapes.store(shapes, std::memory_order_relaxed);
  g_active.store(true, std::memory_order_relaxed);
}

void disable() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_active.store(false, std::memory_order_relaxed);
}

bool record_shapes() { return g_record_shapes.load(std::memory_order_relaxed); }

std::vector<Event> drain() {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<Event> r;
  r.swap(g_done);
  return r;
}

int64_t begin(std::string name, std::vector<std::vector<int64_t>> shapes, bool user) {
  Event e;
  e.name = std::move(name);
  e.user = user;
  e.thread = static_cast<uint64_t>(pthread_self());
  e.has_shapes = record_shapes();
  if (e.has_shapes) e.shapes = std::move(shapes);
  e.parent = t_stack.empty() ? -1 : t_stack.back();
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    id = e.id = g_next_id++;
    e.start_ns = now_ns();
    g_open.emplace(id, std::move(e));
  }
  t_stack.push_back(id);
  return id;
}

int64_t begin_tensors(const char* name, std::initializer_list<const Tensor*> inputs) {
  std::vector<std::vector<int64_t>> shapes;
  if (record_shapes()) {
    shapes.reserve(inputs.size());
    for (const Tensor* t : inputs) {
      if (t && t->defined())
        shapes.emplace_back(t->sizes().begin(), t->sizes().end());
      else
        shapes.emplace_back();
    }
  }
  return begin(name, std::move(shapes), false);
}

void end(int64_t id) {
  int64_t t = now_ns();
  // Scopes end in LIFO order per thread; an exception unwinding several still ends each one.
  for (auto it = t_stack.end(); it != t_stack.begin();) {
    --it;
    if (*it == id) {
      t_stack.erase(it);
      break;
    }
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_open.find(id);
  if (it == g_open.end()) return;
  it->second.end_ns = t;
  g_done.push_back(std::move(it->second));
  g_open.erase(it);
}

}  // namespace pe::profiler
