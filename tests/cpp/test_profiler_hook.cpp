// The profiler hook (Note [Profiler hook]): nothing is recorded while off; on, scopes nest through the
// thread-local stack, shapes are kept only when asked for, and the autograd engine names its work as
// PyTorch's profiler does.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "autograd/engine.h"
#include "autograd/ops_basic.h"
#include "core/profiler_hook.h"

using namespace pe;
namespace ag = pe::autograd;

namespace {

struct ProfilerOff {  // leaves the hook off and empty whatever the test did
  ~ProfilerOff() {
    profiler::disable();
    profiler::drain();
  }
};

const profiler::Event* find(const std::vector<profiler::Event>& ev, const std::string& name) {
  auto it = std::find_if(ev.begin(), ev.end(), [&](const profiler::Event& e) { return e.name == name; });
  return it == ev.end() ? nullptr : &*it;
}

}  // namespace

TEST(ProfilerHook, OffRecordsNothing) {
  ProfilerOff off;
  profiler::drain();
  { profiler::RecordScope s("outer"); }
  Tensor a = ones({2, 2}, {DType::Float32});
  ag::mm(a, a);
  EXPECT_TRUE(profiler::drain().empty());
}

TEST(ProfilerHook, NestingShapesAndThreads) {
  ProfilerOff off;
  profiler::drain();
  profiler::enable(true);
  Tensor a = ones({2, 3}, {DType::Float32}), b = ones({3, 4}, {DType::Float32});
  {
    profiler::RecordScope outer("outer");
    ag::mm(a, b);
    std::thread([&] { ag::mm(a, b); }).join();
  }
  profiler::disable();
  auto ev = profiler::drain();
  ASSERT_EQ(ev.size(), 3u);
  const profiler::Event* outer = find(ev, "outer");
  ASSERT_TRUE(outer);
  int nested = 0, top = 0;
  for (const auto& e : ev) {
    if (e.name != "aten::mm") continue;
    EXPECT_EQ(e.shapes, (std::vector<std::vector<int64_t>>{{2, 3}, {3, 4}}));
    EXPECT_LE(e.start_ns, e.end_ns);
    if (e.parent == outer->id) {
      ++nested;
      EXPECT_EQ(e.thread, outer->thread);
      EXPECT_GE(e.start_ns, outer->start_ns);
      EXPECT_LE(e.end_ns, outer->end_ns);
    } else {
      ++top;  // the other thread's call has no parent there
      EXPECT_EQ(e.parent, -1);
      EXPECT_NE(e.thread, outer->thread);
    }
  }
  EXPECT_EQ(nested, 1);
  EXPECT_EQ(top, 1);
  // without record_shapes no shapes are kept
  profiler::enable(false);
  ag::mm(a, b);
  profiler::disable();
  ev = profiler::drain();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0].has_shapes);
  EXPECT_TRUE(ev[0].shapes.empty());
}

TEST(ProfilerHook, EngineNamesNodesAsPyTorch) {
  ProfilerOff off;
  profiler::drain();
  Tensor x = ones({3}, {DType::Float64});
  x->set_requires_grad(true);
  Tensor y = ag::sum(ag::mul(x, x));
  profiler::enable(false);
  ag::backward({y}, {}, false, false);
  profiler::disable();
  auto ev = profiler::drain();
  const profiler::Event* eval = find(ev, "autograd::engine::evaluate_function: MulBackward0");
  const profiler::Event* node = find(ev, "MulBackward0");
  ASSERT_TRUE(eval && node);
  EXPECT_EQ(node->parent, eval->id);
  EXPECT_TRUE(find(ev, "autograd::engine::evaluate_function: SumBackward0"));
  EXPECT_FALSE(find(ev, "autograd::engine::evaluate_function: torch::autograd::GraphRoot"));  // one root
  // the formula's ops are recorded inside the node
  const profiler::Event* mul = nullptr;
  for (const auto& e : ev)
    if (e.name == "aten::mul" && e.parent == node->id) mul = &e;
  EXPECT_TRUE(mul);
}
