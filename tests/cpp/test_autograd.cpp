// The autograd engine from C++: gradients of a small graph, accumulation into leaves, a deep chain
// (iterative engine), autograd.grad without touching .grad, and the saved-tensor version check.
#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "autograd/ops_basic.h"
#include "core/error.h"

using namespace pe;
namespace ag = pe::autograd;

namespace {

Tensor leaf(std::vector<double> v) {
  Tensor t = empty({(int64_t)v.size()}, {DType::Float64});
  std::copy(v.begin(), v.end(), t.data_ptr<double>());
  t->set_requires_grad(true);
  return t;
}

std::vector<double> values(const Tensor& t) {
  Tensor c = contiguous(t);
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

TEST(Autograd, MulSumBackward) {
  Tensor x = leaf({1, 2, 3}), w = leaf({4, 5, 6});
  Tensor y = ag::sum(ag::mul(x, w));
  ASSERT_TRUE(ag::grad_fn(y));
  EXPECT_EQ(ag::grad_fn(y)->name(), "SumBackward0");
  ag::backward({y}, {}, false, false);
  EXPECT_EQ(values(ag::meta(x).grad), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(values(ag::meta(w).grad), (std::vector<double>{1, 2, 3}));
  // accumulation
  ag::backward({ag::sum(ag::mul(x, w))}, {}, false, false);
  EXPECT_EQ(values(ag::meta(x).grad), (std::vector<double>{8, 10, 12}));
}

TEST(Autograd, DeepChainIsIterative) {
  Tensor x = leaf({1});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = ag::mul(y, Scalar(1.0));
  ag::backward({ag::sum(y)}, {}, false, false);
  EXPECT_EQ(values(ag::meta(x).grad), (std::vector<double>{1}));
  // a chain through saved tensors (each node saves the previous output), kept for release
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = ag::mul(z, z);
  y = Tensor();
  z = Tensor();  // freeing 100000 nodes must not recurse
}

TEST(Autograd, GradDoesNotTouchLeaves) {
  Tensor x = leaf({2});
  Tensor y = ag::sum(ag::mul(x, x));
  TensorList g = ag::grad({y}, {}, {x}, false, false, false);
  EXPECT_EQ(values(g[0]), (std::vector<double>{4}));
  EXPECT_FALSE(ag::meta(x).grad.defined());
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor x = leaf({2});
  ag::NoGradGuard guard;
  Tensor y = ag::mul(x, x);
  EXPECT_FALSE(ag::grad_fn(y));
  EXPECT_FALSE(y->requires_grad());
}

TEST(Autograd, ModifiedSavedTensorThrows) {
  Tensor x = leaf({1, 2});
  Tensor h = ag::mul(x, Scalar(2.0));
  Tensor y = ag::sum(ag::mul(h, h));
  ag::add_(h, Scalar(1.0));
  EXPECT_THROW(ag::backward({y}, {}, false, false), Error);
}
