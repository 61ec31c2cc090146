// Facts about the CUDA part, checked through the same stubs the op layer uses: copies between host
// and device (strided, with casts), fills, arange, Philox numbers equal to the CPU's, the caching
// allocator, and arithmetic and advanced-indexing kernels that give the CPU kernels' bytes. Every test but the first skips on a machine without a GPU; the whole file is empty in a
// build without CUDA.
#ifdef PE_WITH_CUDA
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/cast.h"
#include "core/rng.h"
#include "core/tensor_iter.h"
#include "cuda/allocator.h"
#include "cuda/device.h"
#include "cuda/register.h"
#include "ops/elementwise_stubs.h"
#include "ops/stubs.h"

namespace {

using pe::DType;
using pe::Tensor;

const pe::Device kCpu;
const pe::Device kCuda0(pe::DeviceType::CUDA, 0);

// The stub of the device that is not the CPU, as the op layer picks it.
void copy(const Tensor& dst, const Tensor& src) {
  pe::copy_stub(dst.device().is_cuda() ? dst.device() : src.device())(dst, src);
}

Tensor to(const Tensor& t, DType dtype, pe::Device device) {
  pe::cuda::DeviceGuard guard(device.is_cuda() ? device.index : -1);  // the allocator serves the current device
  Tensor out = pe::make_empty(t.sizes(), dtype, device);
  copy(out, t);
  return out;
}

// A CPU float32 tensor with distinct, partly negative, non-integral values.
Tensor cpu_values(const pe::DimVector& sizes) {
  Tensor t = pe::make_empty(sizes, DType::Float32, kCpu);
  float* p = t.data_ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = 0.75f * (float)i - 7.25f;
  return t;
}

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pe::cuda::register_cuda();
    if (pe::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device (or no driver) on this machine";
  }
};

TEST(CudaRegister, SafeWithoutDevice) {
  pe::cuda::register_cuda();
  EXPECT_TRUE(pe::cuda_compiled());
  EXPECT_GE(pe::cuda_device_count(), 0);
  pe::cuda_hooks().empty_cache();  // no CUDA call when nothing is cached
  if (pe::cuda_device_count() == 0) {
    EXPECT_EQ(pe::cuda_hooks().memory_allocated(-1), 0u);
  }
}

TEST_F(CudaTest, RoundTrip) {
  Tensor h = cpu_values({1000});
  Tensor d = to(h, DType::Float32, kCuda0);
  EXPECT_EQ(d.device(), kCuda0);
  Tensor back = to(d, DType::Float32, kCpu);
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(back.data_ptr<float>()[i], h.data_ptr<float>()[i]) << i;
}

TEST_F(CudaTest, StridedCastCopy) {
  Tensor h = cpu_values({4, 6});
  const float* v = h.data_ptr<float>();
  Tensor g = to(h, DType::Float32, kCuda0);

  // Same device, strided source, float -> int64.
  Tensor gt = pe::make_view(g, {6, 4}, {1, 6}, 0);
  Tensor gi = to(gt, DType::Int64, kCuda0);
  Tensor hi = to(gi, DType::Int64, kCpu);
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t c = 0; c < 4; ++c)
      ASSERT_EQ(hi.data_ptr<int64_t>()[r * 4 + c], pe::cast_value<int64_t>(v[c * 6 + r])) << r << "," << c;

  // Device -> host into a transposed float64 destination.
  Tensor hd = pe::make_empty({6, 4}, DType::Float64, kCpu);
  copy(pe::make_view(hd, {4, 6}, {1, 4}, 0), g);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 6; ++c) ASSERT_EQ(hd.data_ptr<double>()[c * 4 + r], (double)v[r * 6 + c]);

  // Host -> device from a transposed source, float -> float16.
  Tensor gh = to(pe::make_view(h, {6, 4}, {1, 6}, 0), DType::Float16, kCuda0);
  Tensor back = to(gh, DType::Float32, kCpu);
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t c = 0; c < 4; ++c)
      ASSERT_EQ(back.data_ptr<float>()[r * 4 + c], (float)pe::Half(v[c * 6 + r])) << r << "," << c;
}

TEST_F(CudaTest, Fill) {
  Tensor g = pe::make_empty({5, 7}, DType::Float64, kCuda0);
  pe::fill_stub(g.device())(g, pe::Scalar(0.0));
  pe::fill_stub(g.device())(pe::make_view(g, {5, 4}, {7, 2}, 0), pe::Scalar(2.5));  // even columns
  Tensor h = to(g, DType::Float64, kCpu);
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t c = 0; c < 7; ++c) ASSERT_EQ(h.data_ptr<double>()[r * 7 + c], c % 2 == 0 ? 2.5 : 0.0);

  Tensor i8 = pe::make_empty({33}, DType::Int8, kCuda0);
  pe::fill_stub(i8.device())(i8, pe::Scalar((int64_t)-3));
  Tensor hi = to(i8, DType::Int8, kCpu);
  for (int64_t i = 0; i < 33; ++i) ASSERT_EQ(hi.data_ptr<int8_t>()[i], -3);

  Tensor f16 = pe::make_empty({9}, DType::Float16, kCuda0);
  pe::fill_stub(f16.device())(f16, pe::Scalar(1.5));
  Tensor hf = to(f16, DType::Float32, kCpu);
  for (int64_t i = 0; i < 9; ++i) ASSERT_EQ(hf.data_ptr<float>()[i], 1.5f);
}

TEST_F(CudaTest, Arange) {
  Tensor gi = pe::make_empty({10}, DType::Int64, kCuda0);
  pe::arange_stub(gi.device())(gi, pe::Scalar((int64_t)5), pe::Scalar((int64_t)-3));
  Tensor hi = to(gi, DType::Int64, kCpu);
  for (int64_t i = 0; i < 10; ++i) ASSERT_EQ(hi.data_ptr<int64_t>()[i], 5 - 3 * i);

  Tensor gf = pe::make_empty({7}, DType::Float32, kCuda0);
  pe::arange_stub(gf.device())(gf, pe::Scalar(0.5), pe::Scalar(0.25));
  Tensor hf = to(gf, DType::Float32, kCpu);
  for (int64_t i = 0; i < 7; ++i) ASSERT_EQ(hf.data_ptr<float>()[i], 0.5f + 0.25f * (float)i);
}

// The value uniform_ must give element i (Note [Random number layout]); the product is kept apart
// from the sum so the host compiler cannot fuse them either.
template <class T>
float expected_uniform(uint64_t seed, uint64_t first_block, int64_t i, int bits, double from, double to) {
  volatile double scaled = (to - from) * pe::philox_uniform_at(pe::Philox(seed), first_block, i, bits);
  return (float)pe::cast_value<T>(from + scaled);
}

template <class T>
void check_uniform(DType dtype, int bits) {
  const uint64_t seed = 1234, first = 5;
  const double from = -2.0, to_ = 3.0;
  // A transposed destination: element (r, c) of the view has row-major index r * 37 + c.
  Tensor buf = pe::make_empty({37, 29}, dtype, kCuda0);
  Tensor view = pe::make_view(buf, {29, 37}, {1, 29}, 0);
  pe::uniform_stub(view.device())(view, from, to_, seed, first);
  Tensor h = to(buf, DType::Float32, kCpu);
  for (int64_t r = 0; r < 29; ++r)
    for (int64_t c = 0; c < 37; ++c)
      ASSERT_EQ(h.data_ptr<float>()[c * 29 + r], expected_uniform<T>(seed, first, r * 37 + c, bits, from, to_))
          << pe::dtype_name(dtype) << " at " << r << "," << c;

  // And the CPU kernel gives the same numbers for a contiguous tensor.
  Tensor g = pe::make_empty({1001}, dtype, kCuda0);
  Tensor c = pe::make_empty({1001}, dtype, kCpu);
  pe::uniform_stub(g.device())(g, from, to_, seed, first);
  pe::uniform_stub(kCpu)(c, from, to_, seed, first);
  Tensor gh = to(g, DType::Float32, kCpu), ch = to(c, DType::Float32, kCpu);
  for (int64_t i = 0; i < 1001; ++i) ASSERT_EQ(gh.data_ptr<float>()[i], ch.data_ptr<float>()[i]) << i;
}

TEST_F(CudaTest, UniformMatchesCpu) {
  check_uniform<float>(DType::Float32, 24);
  check_uniform<pe::Half>(DType::Float16, 11);
  check_uniform<pe::BFloat16>(DType::BFloat16, 8);

  // float64 keeps all 53 bits: compare in double.
  Tensor g = pe::make_empty({1003}, DType::Float64, kCuda0);
  pe::uniform_stub(g.device())(g, 0.0, 1.0, 42, 0);
  Tensor h = to(g, DType::Float64, kCpu);
  for (int64_t i = 0; i < 1003; ++i) ASSERT_EQ(h.data_ptr<double>()[i], pe::philox_uniform_at(pe::Philox(42), 0, i, 53));
}

TEST_F(CudaTest, NormalMatchesCpu) {
  // Device log/cos may differ from the host's libm in the last bit: compare to 1e-12.
  const int64_t n = 1001;
  Tensor g = pe::make_empty({n}, DType::Float64, kCuda0);
  pe::normal_stub(g.device())(g, 1.0, 2.0, 7, 3);
  Tensor h = to(g, DType::Float64, kCpu);
  for (int64_t i = 0; i < n; ++i) {
    const double e = 1.0 + 2.0 * pe::philox_normal_at(pe::Philox(7), 3, n, i);
    ASSERT_NEAR(h.data_ptr<double>()[i], e, 1e-12 * std::max(1.0, std::fabs(e))) << i;
  }
}

TEST_F(CudaTest, AllocatorCachesBlocks) {
  const size_t base = pe::cuda::memory_allocated(0);
  void* first = nullptr;
  {
    Tensor t = pe::make_empty({1 << 18}, DType::Float32, kCuda0);  // 1 MiB
    first = t.raw_data();
    EXPECT_GE(pe::cuda::memory_allocated(0), base + (1 << 20));
    EXPECT_GE(pe::cuda::memory_reserved(0), pe::cuda::memory_allocated(0));
  }
  EXPECT_EQ(pe::cuda::memory_allocated(0), base);
  EXPECT_GE(pe::cuda::memory_reserved(0), base + (1 << 20));  // kept in the cache
  {
    Tensor t = pe::make_empty({1 << 18}, DType::Float32, kCuda0);
    EXPECT_EQ(t.raw_data(), first);  // served from the cache
  }
  pe::cuda::empty_cache();
  EXPECT_EQ(pe::cuda::memory_reserved(0), pe::cuda::memory_allocated(0));
}

TEST_F(CudaTest, OutOfMemoryIsAnError) {
  try {
    pe::cuda::cuda_allocator()->allocate_on(size_t(1) << 50, 0);  // 1 PiB
    FAIL() << "expected an out-of-memory error";
  } catch (const pe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA out of memory"), std::string::npos) << e.what();
  }
  // The failed cudaMalloc must not surface as the error of the next launch.
  Tensor g = pe::make_empty({3}, DType::Float32, kCuda0);
  pe::fill_stub(g.device())(g, pe::Scalar(1.0));
  pe::cuda_hooks().synchronize(0);
}

TEST_F(CudaTest, CopyBetweenGpus) {
  if (pe::cuda_device_count() < 2) GTEST_SKIP() << "needs two CUDA devices";
  const pe::Device cuda1(pe::DeviceType::CUDA, 1);
  Tensor h = cpu_values({4, 6});
  Tensor g0 = to(h, DType::Float32, kCuda0);
  Tensor g1 = to(g0, DType::Float32, cuda1);  // one peer copy
  EXPECT_EQ(g1.device(), cuda1);
  Tensor g1t = to(pe::make_view(g0, {6, 4}, {1, 6}, 0), DType::Float64, cuda1);  // staged, cast on cuda:1
  Tensor a = to(g1, DType::Float32, kCpu), b = to(g1t, DType::Float64, kCpu);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 6; ++c) {
      ASSERT_EQ(a.data_ptr<float>()[r * 6 + c], h.data_ptr<float>()[r * 6 + c]);
      ASSERT_EQ(b.data_ptr<double>()[c * 4 + r], (double)h.data_ptr<float>()[r * 6 + c]);
    }
}

// ---- Arithmetic and indexing kernels against the CPU kernels ----

using pe::BinaryMathOp;
using pe::UnaryMiscOp;

const DType kAllDTypes[] = {DType::Bool,    DType::UInt8,    DType::Int8,    DType::Int16,   DType::Int32,
                            DType::Int64,   DType::Float16,  DType::BFloat16, DType::Float32, DType::Float64};

Tensor empty_cuda(const pe::DimVector& sizes, DType dtype) {
  pe::cuda::DeviceGuard guard(0);
  return pe::make_empty(sizes, dtype, kCuda0);
}

// A CPU tensor of `dtype` with values 0.5 * k - 10.25 for k = (7 i + seed) % 41: small, never zero
// (safe divisors), exact in every floating dtype; magnitudes for uint8, a mix of true and false for
// bool.
Tensor cpu_mixed(const pe::DimVector& sizes, DType dtype, int seed) {
  Tensor f = pe::make_empty(sizes, DType::Float32, kCpu);
  float* p = f.data_ptr<float>();
  for (int64_t i = 0; i < f.numel(); ++i) {
    const int64_t k = (7 * i + seed) % 41;
    float v = 0.5f * (float)k - 10.25f;
    if (dtype == DType::UInt8) v = std::fabs(v);
    if (dtype == DType::Bool) v = k % 3 == 0 ? 0.0f : 1.0f;
    p[i] = v;
  }
  return to(f, dtype, kCpu);
}

// A CPU tensor and its twin on cuda:0 (same sizes, strides and values).
struct Both {
  Tensor cpu, gpu;
  Both view(const pe::DimVector& sizes, const pe::DimVector& strides, int64_t offset = 0) const {
    return {pe::make_view(cpu, sizes, strides, offset), pe::make_view(gpu, sizes, strides, offset)};
  }
};
Both both(const Tensor& cpu) { return {cpu, to(cpu, cpu.dtype(), kCuda0)}; }
Both both_empty(const pe::DimVector& sizes, DType dtype) {
  return {pe::make_empty(sizes, dtype, kCpu), empty_cuda(sizes, dtype)};
}

// The two halves of t hold the same bytes, element for element.
void expect_same(const Both& t, const std::string& what) {
  ASSERT_TRUE(t.gpu.sizes() == t.cpu.sizes()) << what;
  const Tensor g = to(t.gpu, t.gpu.dtype(), kCpu), c = to(t.cpu, t.cpu.dtype(), kCpu);  // contiguous
  const int64_t isz = pe::element_size(g.dtype());
  const char* gp = static_cast<const char*>(g.raw_data());
  const char* cp = static_cast<const char*>(c.raw_data());
  for (int64_t i = 0; i < g.numel(); ++i) {
    if (std::memcmp(gp + i * isz, cp + i * isz, isz) != 0) {
      const Tensor gd = to(g, DType::Float64, kCpu), cd = to(c, DType::Float64, kCpu);
      FAIL() << what << " (" << pe::dtype_name(g.dtype()) << ") differs at element " << i << ": cuda "
             << gd.data_ptr<double>()[i] << ", cpu " << cd.data_ptr<double>()[i];
    }
  }
}

// op, or a + alpha * b (add_alpha_stub) when alpha is given.
void binary_both(BinaryMathOp op, const std::optional<pe::Scalar>& alpha, const Both& out, const Both& a,
                 const Both& b) {
  if (alpha) {
    pe::add_alpha_stub(kCpu)(pe::TensorIter({out.cpu}, {a.cpu, b.cpu}), *alpha);
    pe::add_alpha_stub(kCuda0)(pe::TensorIter({out.gpu}, {a.gpu, b.gpu}), *alpha);
  } else {
    pe::binary_math_stub(kCpu)(pe::TensorIter({out.cpu}, {a.cpu, b.cpu}), op);
    pe::binary_math_stub(kCuda0)(pe::TensorIter({out.gpu}, {a.gpu, b.gpu}), op);
  }
}

void unary_both(UnaryMiscOp op, const Both& out, const Both& a) {
  pe::unary_misc_stub(kCpu)(pe::TensorIter({out.cpu}, {a.cpu}), op);
  pe::unary_misc_stub(kCuda0)(pe::TensorIter({out.gpu}, {a.gpu}), op);
}

TEST_F(CudaTest, BinaryMatchesCpu) {
  for (DType dt : kAllDTypes) {
    // (op, alpha): with an alpha, a + alpha * b through add_alpha_stub.
    using Alpha = std::optional<pe::Scalar>;
    std::vector<std::pair<BinaryMathOp, Alpha>> ops;
    if (dt == DType::Bool) {
      ops = {{BinaryMathOp::Add, Alpha()}, {BinaryMathOp::Add, pe::Scalar(false)}, {BinaryMathOp::Mul, Alpha()}};
    } else if (pe::is_floating(dt)) {
      // alpha = 0.1: an inexact product, which a fused multiply-add would round differently.
      ops = {{BinaryMathOp::Add, Alpha()}, {BinaryMathOp::Add, pe::Scalar(0.1)},
             {BinaryMathOp::Add, pe::Scalar(-2.5)}, {BinaryMathOp::Sub, Alpha()},
             {BinaryMathOp::Mul, Alpha()}, {BinaryMathOp::Div, Alpha()}};
    } else {
      ops = {{BinaryMathOp::Add, Alpha()}, {BinaryMathOp::Add, pe::Scalar((int64_t)3)},
             {BinaryMathOp::Add, pe::Scalar((int64_t)-2)}, {BinaryMathOp::Sub, Alpha()}, {BinaryMathOp::Mul, Alpha()}};
    }
    for (size_t j = 0; j < ops.size(); ++j) {
      const BinaryMathOp op = ops[j].first;
      const Alpha& alpha = ops[j].second;
      const std::string what = "binary op " + std::to_string((int)op) + " #" + std::to_string(j);
      {  // dense operands: the contiguous path
        Both a = both(cpu_mixed({3, 50}, dt, 1)), b = both(cpu_mixed({3, 50}, dt, 2));
        Both out = both_empty({3, 50}, dt);
        binary_both(op, alpha, out, a, b);
        expect_same(out, what + " dense");
      }
      {  // a transposed, b broadcast along dim 0: the strided path
        Both a = both(cpu_mixed({50, 3}, dt, 3)).view({3, 50}, {1, 3});
        Both b = both(cpu_mixed({50}, dt, 4));
        Both out = both_empty({3, 50}, dt);
        binary_both(op, alpha, out, a, b);
        expect_same(out, what + " strided");
      }
      {  // in place, b every other column of a wider tensor
        Both a = both(cpu_mixed({3, 50}, dt, 5));
        Both b = both(cpu_mixed({3, 100}, dt, 6)).view({3, 50}, {100, 2});
        binary_both(op, alpha, a, a, b);
        expect_same(a, what + " in place");
      }
      {  // one element (a 0-dim iteration space)
        Both a = both(cpu_mixed({}, dt, 7)), b = both(cpu_mixed({}, dt, 8));
        Both out = both_empty({}, dt);
        binary_both(op, alpha, out, a, b);
        expect_same(out, what + " 0-dim");
      }
    }
  }
}

TEST_F(CudaTest, BinaryGridStride) {
  // More elements than one launch has threads (65536 blocks of 256).
  const int64_t n = (int64_t(1) << 24) + 1001;
  Both a = both(cpu_mixed({n}, DType::Float32, 1)), b = both(cpu_mixed({n}, DType::Float32, 2));
  Both out = both_empty({n}, DType::Float32);
  binary_both(BinaryMathOp::Add, pe::Scalar(0.1), out, a, b);
  expect_same(out, "add, dense");
  Both bt = both(cpu_mixed({2, n / 2}, DType::Float32, 3)).view({n / 2, 2}, {1, n / 2});
  Both outt = both_empty({n / 2, 2}, DType::Float32);
  binary_both(BinaryMathOp::Mul, std::nullopt, outt, a.view({n / 2, 2}, {2, 1}), bt);
  expect_same(outt, "mul, strided");
}

TEST_F(CudaTest, UnaryMatchesCpu) {
  for (DType dt : kAllDTypes) {
    if (dt == DType::Bool) continue;  // neg and abs refuse bool
    for (UnaryMiscOp op : {UnaryMiscOp::Neg, UnaryMiscOp::Abs}) {
      const std::string what = "unary op " + std::to_string((int)op);
      {
        Both a = both(cpu_mixed({7, 30}, dt, 1));
        Both out = both_empty({7, 30}, dt);
        unary_both(op, out, a);
        expect_same(out, what + " dense");
      }
      {
        Both a = both(cpu_mixed({30, 7}, dt, 2)).view({7, 30}, {1, 7});
        Both out = both_empty({7, 30}, dt);
        unary_both(op, out, a);
        expect_same(out, what + " strided");
      }
      {
        Both a = both(cpu_mixed({7, 60}, dt, 3));
        Both av = a.view({7, 30}, {60, 2}, 1);  // odd columns, in place
        unary_both(op, av, av);
        expect_same(a, what + " in place");
      }
    }
  }
}

// int64 byte offsets idx[k] * stride_bytes on both devices, as ops/indexing.cpp builds them.
Both byte_offsets(const std::vector<int64_t>& idx, int64_t stride_bytes) {
  Tensor t = pe::make_empty({(int64_t)idx.size()}, DType::Int64, kCpu);
  for (size_t k = 0; k < idx.size(); ++k) t.data_ptr<int64_t>()[k] = idx[k] * stride_bytes;
  return both(t);
}

void index_both(const Both& out, const Both& src, const Both& offs) {
  pe::index_stub(kCpu)(pe::TensorIter({out.cpu}, {src.cpu, offs.cpu}));
  pe::index_stub(kCuda0)(pe::TensorIter({out.gpu}, {src.gpu, offs.gpu}));
}

void index_put_both(const Both& dst, const Both& value, const Both& offs, bool accumulate) {
  pe::index_put_stub(kCpu)(pe::TensorIter({dst.cpu}, {value.cpu, offs.cpu}), accumulate);
  pe::index_put_stub(kCuda0)(pe::TensorIter({dst.gpu}, {value.gpu, offs.gpu}), accumulate);
}

// The layouts of Note [Advanced indexing]: the source/destination restrided to stride 0 along the
// indexed dim, the byte offsets broadcast along the others.
TEST_F(CudaTest, IndexMatchesCpu) {
  for (DType dt : kAllDTypes) {
    const int64_t isz = pe::element_size(dt);
    Both src = both(cpu_mixed({4, 5}, dt, 1));
    {  // src[[3, 0, 3, 1]]
      Both out = both_empty({4, 5}, dt);
      index_both(out, src.view({4, 5}, {0, 1}), byte_offsets({3, 0, 3, 1}, 5 * isz).view({4, 5}, {1, 0}));
      expect_same(out, "index rows");
    }
    {  // src.t()[:, [3, 0, 2]]: src.t() has sizes (5, 4), strides (1, 5)
      Both out = both_empty({5, 3}, dt);
      index_both(out, src.view({5, 3}, {1, 0}), byte_offsets({3, 0, 2}, 5 * isz).view({5, 3}, {0, 1}));
      expect_same(out, "index columns of a transpose");
    }
  }
}

TEST_F(CudaTest, IndexPutMatchesCpu) {
  for (DType dt : kAllDTypes) {
    const int64_t isz = pe::element_size(dt);
    {  // dst[[3, 0, 1]] = value (3, 5)
      Both dst = both(cpu_mixed({4, 5}, dt, 1));
      index_put_both(dst.view({3, 5}, {0, 1}), both(cpu_mixed({3, 5}, dt, 2)),
                     byte_offsets({3, 0, 1}, 5 * isz).view({3, 5}, {1, 0}), false);
      expect_same(dst, "index_put_");
    }
    {  // dst.index_put_([[3, 0, 3, 3, 1]], value (5,) broadcast, accumulate=True): row 3 gets three adds
      Both dst = both(cpu_mixed({4, 5}, dt, 3));
      index_put_both(dst.view({5, 5}, {0, 1}), both(cpu_mixed({5}, dt, 4)).view({5, 5}, {0, 1}),
                     byte_offsets({3, 0, 3, 3, 1}, 5 * isz).view({5, 5}, {1, 0}), true);
      expect_same(dst, "index_put_ accumulate");
    }
    {  // 100000 adds into 7 elements: the atomics (or the serial loop) must let every one land. The
       // sums stay exact in every floating dtype with atomics, so their order does not matter.
      const int64_t n = 100000;
      std::vector<int64_t> idx(n);
      for (int64_t i = 0; i < n; ++i) idx[i] = (i * 3) % 7;
      Both dst = both(cpu_mixed({7}, dt, 5));
      index_put_both(dst.view({n}, {0}), both(cpu_mixed({n}, dt, 6)), byte_offsets(idx, isz), true);
      expect_same(dst, "index_put_ accumulate, many duplicates");
    }
  }
}

TEST_F(CudaTest, IndexRefusesHostOffsets) {
  Tensor src = empty_cuda({4}, DType::Float32), out = empty_cuda({2}, DType::Float32);
  Tensor offs = pe::make_empty({2}, DType::Int64, kCpu);
  offs.data_ptr<int64_t>()[0] = 0;
  offs.data_ptr<int64_t>()[1] = 4;
  EXPECT_THROW(pe::index_stub(kCuda0)(pe::TensorIter({out}, {pe::make_view(src, {2}, {0}, 0), offs})), pe::Error);
  // The CUDA context is still usable.
  pe::fill_stub(kCuda0)(out, pe::Scalar(1.0));
  pe::cuda_hooks().synchronize(0);
}

}  // namespace
#endif  // PE_WITH_CUDA
