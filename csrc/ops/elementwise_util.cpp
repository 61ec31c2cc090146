// Type promotion, devices and output layout for the elementwise ops (see the header).
#include "ops/elementwise_util.h"
#include "ops/out.h"

#include <algorithm>

namespace pe {

DispatchStub<UnaryFloatFn> unary_float_stub("unary_float");
DispatchStub<UnaryMiscFn> unary_misc_stub("unary_misc");
DispatchStub<ComplexToRealFn> complex_to_real_stub("complex_to_real");
DispatchStub<PredicateFn> predicate_stub("predicate");
DispatchStub<RoundDecimalsFn> round_decimals_stub("round_decimals");
DispatchStub<NanToNumFn> nan_to_num_stub("nan_to_num");
DispatchStub<BinaryMathFn> binary_math_stub("binary_math");
DispatchStub<AddAlphaFn> add_alpha_stub("add_alpha");
DispatchStub<CompareFn> compare_stub("compare");
DispatchStub<TernaryFn> ternary_stub("ternary");

namespace ew {

const char* type_name(DType t) { return scalar_type_name(t); }

void check_cast(DType result, DType out) {
  PE_CHECK(can_cast(result, out), "result type ", type_name(result), " can't be cast to the desired output type ",
           type_name(out));
}

void not_implemented(const char* name, DType t) {
  throw NotImplementedError(str("\"", name, "\" not implemented for '", type_name(t), "'"));
}

namespace {
// PyTorch's combine_categories: `higher` is the result of a higher-priority class (may be unset).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_complex(*higher)) return higher;
  if (is_complex(*lower)) return is_floating(*higher) ? to_complex_dtype(*higher) : *lower;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}
void update(std::optional<DType>& acc, DType t) { acc = acc ? promote_types(*acc, t) : t; }
}  // namespace

DType result_type(std::initializer_list<const TensorOrScalar*> ops) {
  std::optional<DType> dim_result, zero_result, wrapped_result;
  for (auto* op : ops) {
    if (op->is_scalar) update(wrapped_result, op->dtype());
    else if (op->tensor.dim() == 0) update(zero_result, op->tensor.dtype());
    else update(dim_result, op->tensor.dtype());
  }
  auto r = combine(dim_result, combine(zero_result, wrapped_result));
  PE_CHECK(r.has_value(), "result_type: no operands");
  return *r;
}

Device common_device(std::initializer_list<const TensorOrScalar*> ops) {
  std::optional<Device> dev, cpu_scalar_dev;
  for (auto* op : ops) {
    if (op->is_scalar) continue;
    const Tensor& t = op->tensor;
    if (t.dim() == 0 && t.device().is_cpu()) {
      cpu_scalar_dev = t.device();  // joins any device
      continue;
    }
    if (!dev) dev = t.device();
    else if (dev->is_meta() || t.device().is_meta())  // PyTorch's wording when meta meets another device
      PE_CHECK(*dev == t.device(), "Tensor on device ", t.device().str(), " is not on the expected device ",
               dev->str(), "!");
    else PE_CHECK(*dev == t.device(), "Expected all tensors to be on the same device, but found at least two devices, ",
                  dev->str(), " and ", t.device().str(), "!");
  }
  if (dev) return *dev;
  return cpu_scalar_dev ? *cpu_scalar_dev : Device();
}

void check_complex_compute(std::initializer_list<const TensorOrScalar*> ops, DType compute) {
  if (is_complex(compute)) return;
  for (auto* op : ops)
    if (!op->is_scalar && is_complex(op->tensor.dtype()))
      throw NotImplementedError(str("this operator is not implemented for complex tensors (got a ",
                                    dtype_name(op->tensor.dtype()), " operand computed in ", dtype_name(compute),
                                    ")"));
}

Tensor materialize(const TensorOrScalar& x, DType dt, Device dev) {
  if (x.is_scalar) return scalar_tensor(x.scalar, dt, dev);
  return to(x.tensor, dt, dev);
}

DimVector broadcast_shape(std::initializer_list<const TensorOrScalar*> ops) {
  DimVector shape;
  bool first = true;
  for (auto* op : ops) {
    if (op->is_scalar) continue;
    shape = first ? op->tensor.sizes() : broadcast_shapes(shape, op->tensor.sizes());
    first = false;
  }
  return shape;
}

namespace {
// The permutation (outermost first) that makes t dense, if t is dense and non-overlapping.
bool dense_permutation(const Tensor& t, std::vector<int64_t>& perm) {
  int64_t n = t.dim();
  perm.resize(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return t.strides()[a] > t.strides()[b]; });
  int64_t expected = 1;
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t d = perm[i];
    if (t.sizes()[d] == 1) continue;
    if (t.strides()[d] != expected) return false;
    expected *= t.sizes()[d];
  }
  return true;
}
}  // namespace

void check_no_partial_overlap(const Tensor& out, const Tensor& in) {
  if (out.is_same(in) || out.numel() == 0 || in.numel() == 0 || out->storage() != in->storage()) return;
  std::vector<int64_t> perm;
  if (!dense_permutation(out, perm) || !dense_permutation(in, perm)) return;  // "too hard": allowed
  const char* ob = static_cast<const char*>(out.raw_data());
  const char* ib = static_cast<const char*>(in.raw_data());
  const char* oe = ob + out.numel() * out->itemsize();
  const char* ie = ib + in.numel() * in->itemsize();
  bool full = ob == ib && oe == ie && out.strides() == in.strides();
  PE_CHECK(full || !(ob < ie && ib < oe),
           "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
           "memory location. Please clone() the tensor before performing the operation.");
}

Tensor empty_output(const DimVector& shape, DType dt, Device dev, std::initializer_list<const TensorOrScalar*> like) {
  if (Tensor out = OutDestination::take(shape, dt, dev, like); out.defined()) return out;
  for (auto* op : like) {
    if (op->is_scalar) continue;
    const Tensor& t = op->tensor;
    if (t.sizes() != shape || t.numel() <= 1) continue;
    if (t.is_contiguous()) break;
    std::vector<int64_t> perm;
    if (!dense_permutation(t, perm)) break;
    int64_t n = t.dim();
    DimVector psizes(n);
    for (int64_t i = 0; i < n; ++i) psizes[i] = shape[perm[i]];
    Tensor base = make_empty(psizes, dt, dev);
    DimVector sizes(n), strides(n);
    for (int64_t i = 0; i < n; ++i) {
      sizes[perm[i]] = psizes[i];
      strides[perm[i]] = base.strides()[i];
    }
    return make_view(base, sizes, strides, 0);
  }
  return make_empty(shape, dt, dev);
}

}  // namespace ew
}  // namespace pe
