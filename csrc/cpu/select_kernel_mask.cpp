// CPU kernels of the mask and comparison ops: masked_fill (elementwise, on raw element bytes),
// counting and compacting a mask (masked_select, serial in row-major order), equal (with an early
// exit) and isclose (PyTorch's formula, rounding in the tensor's dtype like its op sequence).
#include <atomic>
#include <cmath>
#include <cstring>

#include "cpu/complex_math.h"
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"
#include "ops/isclose_functor.h"
#include "ops/select_stubs.h"

namespace pe::cpu {
namespace {

template <class T>
void masked_fill_bytes(const TensorIter& iter, const Tensor& value) {
  T v;
  std::memcpy(&v, value.raw_data(), sizeof(T));
  cpu_kernel(iter, [v](T x, bool m) -> T { return m ? v : x; });
}

void masked_fill_kernel(const TensorIter& iter, const Tensor& value) {
  switch (element_size(iter.dtype(0))) {
    case 1: return masked_fill_bytes<uint8_t>(iter, value);
    case 2: return masked_fill_bytes<uint16_t>(iter, value);
    case 4: return masked_fill_bytes<uint32_t>(iter, value);
    default: return masked_fill_bytes<uint64_t>(iter, value);
  }
}

int64_t count_true_kernel(const Tensor& mask) {
  TensorIter iter({mask}, {});
  std::atomic<int64_t> total{0};
  parallel_for(0, iter.numel(), kGrainSize, [&](int64_t b, int64_t e) {
    int64_t c = 0;
    iter.serial_for(b, e, [&](char** data, const int64_t* st, int64_t n) {
      for (int64_t i = 0; i < n; ++i) c += *reinterpret_cast<const bool*>(data[0] + i * st[0]);
    });
    total += c;
  });
  return total.load();
}

template <class T>
void masked_select_bytes(const Tensor& out, const Tensor& self, const Tensor& mask) {
  // Operand 0 is only read: the iterator walks the mask in row-major order (reorder = false).
  TensorIter iter({mask}, {self}, /*reorder=*/false);
  T* o = static_cast<T*>(out.raw_data());
  const int64_t ostride = out.dim() == 0 ? 0 : out.strides()[0];
  int64_t k = 0;
  iter.serial_for(0, iter.numel(), [&](char** data, const int64_t* st, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      if (*reinterpret_cast<const bool*>(data[0] + i * st[0]))
        std::memcpy(o + (k++) * ostride, data[1] + i * st[1], sizeof(T));
  });
}

void masked_select_kernel(const Tensor& out, const Tensor& self, const Tensor& mask) {
  switch (element_size(self.dtype())) {
    case 1: return masked_select_bytes<uint8_t>(out, self, mask);
    case 2: return masked_select_bytes<uint16_t>(out, self, mask);
    case 4: return masked_select_bytes<uint32_t>(out, self, mask);
    default: return masked_select_bytes<uint64_t>(out, self, mask);
  }
}

bool equal_kernel(const Tensor& a, const Tensor& b) {
  TensorIter iter({a}, {b});
  if (is_complex(a.dtype())) return complex_equal(iter);
  std::atomic<bool> same{true};
  PE_DISPATCH_ALL_TYPES(a.dtype(), "equal", [&] {
    parallel_for(0, iter.numel(), kGrainSize, [&](int64_t beg, int64_t end) {
      if (!same.load(std::memory_order_relaxed)) return;
      bool ok = true;
      iter.serial_for(beg, end, [&](char** data, const int64_t* st, int64_t n) {
        for (int64_t i = 0; i < n && ok; ++i) {
          auto x = static_cast<opmath_t<scalar_t>>(*reinterpret_cast<const scalar_t*>(data[0] + i * st[0]));
          auto y = static_cast<opmath_t<scalar_t>>(*reinterpret_cast<const scalar_t*>(data[1] + i * st[1]));
          ok = x == y;
        }
      });
      if (!ok) same = false;
    });
  });
  return same.load();
}

void isclose_kernel(const TensorIter& iter, double rtol, double atol, bool equal_nan) {
  if (is_complex(iter.dtype(1))) return complex_isclose(iter, rtol, atol, equal_nan);
  PE_DISPATCH_ALL_TYPES(iter.dtype(1), "isclose", [&] {
    const IsCloseFunctor<scalar_t> f{rtol, atol, equal_nan};
    cpu_kernel(iter, [f](scalar_t a, scalar_t b) -> bool { return f(a, b); });
  });
}

PE_REGISTER_KERNEL(masked_fill_stub, CPU, &masked_fill_kernel);
PE_REGISTER_KERNEL(count_true_stub, CPU, &count_true_kernel);
PE_REGISTER_KERNEL(masked_select_stub, CPU, &masked_select_kernel);
PE_REGISTER_KERNEL(equal_stub, CPU, &equal_kernel);
PE_REGISTER_KERNEL(isclose_stub, CPU, &isclose_kernel);

}  // namespace
}  // namespace pe::cpu
