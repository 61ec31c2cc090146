// The op layer's public API: every op checks its inputs, promotes types, broadcasts, allocates its
// output and runs the device kernel through a stub (ops/stubs.h). Python binds these directly.
#pragma once
#include <optional>
#include <vector>

#include "core/memory_format.h"
#include "core/tensor.h"

namespace pe {

class Generator;  // core/rng.h: the random ops take one (nullptr: the device's default generator)

struct TensorOptions {
  std::optional<DType> dtype;  // unset: the op's default (usually the default float dtype)
  Device device;
  bool requires_grad = false;
  bool pin_memory = false;  // a CPU result in page-locked memory (ops/pinned.cpp)
  DType dtype_or(DType d) const { return dtype ? *dtype : d; }
};

// ---- pinned host memory (ops/pinned.cpp) ----
bool is_pinned(const Tensor& t);
Tensor pin_memory(const Tensor& t);  // t itself when pinned already

// ---- creation (ops/creation.cpp) ----
Tensor empty(const DimVector& sizes, const TensorOptions& opt);
Tensor zeros(const DimVector& sizes, const TensorOptions& opt);
Tensor ones(const DimVector& sizes, const TensorOptions& opt);
Tensor full(const DimVector& sizes, const Scalar& value, const TensorOptions& opt);
Tensor eye(int64_t n, int64_t m, const TensorOptions& opt);
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& opt);
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& opt);
Tensor rand(const DimVector& sizes, const TensorOptions& opt, Generator* gen = nullptr);
Tensor randn(const DimVector& sizes, const TensorOptions& opt, Generator* gen = nullptr);
Tensor randint(int64_t low, int64_t high, const DimVector& sizes, const TensorOptions& opt,
               Generator* gen = nullptr);
Tensor randperm(int64_t n, const TensorOptions& opt, Generator* gen = nullptr);
Tensor& uniform_(Tensor& t, double from, double to, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean, double std, Generator* gen = nullptr);
Tensor& random_(Tensor& t, int64_t low, int64_t high, Generator* gen = nullptr);  // integers in [low, high)
Tensor normal(const Tensor& mean, const Tensor& std, Generator* gen = nullptr);
Tensor scalar_tensor(const Scalar& s, DType dtype, Device device = Device());

// ---- copies and conversion (ops/copy.cpp) ----
Tensor& copy_(Tensor& dst, const Tensor& src);  // broadcasts src, converts dtype and device
// PyTorch's errors for writes into a tensor whose elements alias each other (expanded dims), or
// whose memory partially overlaps an input.
void assert_no_internal_overlap(const Tensor& t);
void assert_no_partial_overlap(const Tensor& dst, const Tensor& src);
Tensor& fill_(Tensor& t, const Scalar& value);  // refuses a value that overflows t's dtype
// c10's overflow rule for a Python number stored into dtype dt: RuntimeError "value cannot be
// converted to type int8_t without overflow" (defined in select_common.cpp). The one check of a
// number converted to a tensor's dtype (fill_, masked_fill, setitem, scatter, pow, where, clamp,
// alpha, ...; see ew::check_scalar_arg).
void check_scalar_fits(const Scalar& s, DType dt);
Tensor& zero_(Tensor& t);
// memory_format: the layout of a new result (Preserve: t's own, see empty_like); `to` returns t itself
// when dtype, device and layout already match and copy is false.
Tensor to(const Tensor& t, std::optional<DType> dtype, std::optional<Device> device, bool copy = false,
          MemoryFormat fmt = MemoryFormat::Preserve);
Tensor clone(const Tensor& t, MemoryFormat fmt = MemoryFormat::Preserve);
Tensor contiguous_copy(const Tensor& t);  // always a new contiguous tensor
// Uninitialized, t's shape, in layout fmt. Preserve (PyTorch's preserve_format): t's exact strides when t
// is non-overlapping and dense (a transpose, a channels-last tensor), else the format its strides suggest.
Tensor empty_like(const Tensor& t, DType dtype, Device device, MemoryFormat fmt = MemoryFormat::Preserve);
// t itself when already dense in fmt (Contiguous, ChannelsLast, ChannelsLast3d), else a copy in fmt.
Tensor contiguous(const Tensor& t, MemoryFormat fmt = MemoryFormat::Contiguous);
bool is_contiguous(const Tensor& t, MemoryFormat fmt);
// Makes `t` an alias of a new tensor's storage: used by detach()/.data.
Tensor alias(const Tensor& t, bool share_version);
Scalar item(const Tensor& t);
Tensor repeat(const Tensor& t, const DimVector& repeats);

// ---- views (ops/views.cpp) ----
Tensor view(const Tensor& t, const DimVector& shape);
Tensor reshape(const Tensor& t, const DimVector& shape);
Tensor as_strided(const Tensor& t, const DimVector& sizes, const DimVector& strides,
                  std::optional<int64_t> storage_offset);
Tensor permute(const Tensor& t, const DimVector& dims);
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor t(const Tensor& t);
Tensor& t_(Tensor& t);
Tensor& transpose_(Tensor& t, int64_t d0, int64_t d1);
Tensor expand(const Tensor& t, const DimVector& sizes);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop,
             int64_t step);
Tensor squeeze(const Tensor& t, std::optional<DimVector> dims);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor& squeeze_(Tensor& t, std::optional<DimVector> dims);
Tensor& unsqueeze_(Tensor& t, int64_t dim);
Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim);
Tensor unflatten(const Tensor& t, int64_t dim, const DimVector& sizes);
TensorList split(const Tensor& t, int64_t split_size, int64_t dim);
TensorList split_with_sizes(const Tensor& t, const DimVector& sizes, int64_t dim);
TensorList chunk(const Tensor& t, int64_t chunks, int64_t dim);
TensorList unbind(const Tensor& t, int64_t dim);
Tensor& resize_(Tensor& t, const DimVector& sizes);
Tensor& set_(Tensor& t, const Storage& storage, int64_t offset, const DimVector& sizes, const DimVector& strides);
Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);

// ---- indexing (ops/indexing.cpp) ----
// Python's index expressions, parsed by autograd::getitem / setitem (autograd/functions/index.cpp).
struct TensorIndex {
  enum class Kind : int8_t { Int, Slice, None, Ellipsis, Bool, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  bool boolean = false;
  Tensor tensor;
  static TensorIndex make_int(int64_t i) { TensorIndex x; x.kind = Kind::Int; x.integer = i; return x; }
  static TensorIndex make_slice(std::optional<int64_t> a, std::optional<int64_t> b, int64_t s) {
    TensorIndex x; x.kind = Kind::Slice; x.start = a; x.stop = b; x.step = s; return x;
  }
  static TensorIndex make_none() { return TensorIndex(); }
  static TensorIndex make_ellipsis() { TensorIndex x; x.kind = Kind::Ellipsis; return x; }
  static TensorIndex make_bool(bool b) { TensorIndex x; x.kind = Kind::Bool; x.boolean = b; return x; }
  static TensorIndex make_tensor(Tensor t) { TensorIndex x; x.kind = Kind::Tensor; x.tensor = std::move(t); return x; }
};
// Advanced indexing with one index tensor per leading dim (None: take the whole dim); Python's
// index expressions (TensorIndex) are parsed by autograd::getitem / setitem.
Tensor index_tensors(const Tensor& t, const TensorList& indices);
Tensor& index_put_tensors_(Tensor& t, const TensorList& indices, const Tensor& value, bool accumulate);
Tensor nonzero(const Tensor& t);  // (n, ndim) int64
// The first element of an integer index tensor outside [-size, size) (allow_negative) or [0, size),
// found on the index's device; nullopt when all are in range.
std::optional<int64_t> first_out_of_bounds(const Tensor& index, int64_t size, bool allow_negative);
// The index ops' bounds check: first_out_of_bounds on the CPU; nullopt on CUDA, whose index kernels
// check every index themselves and raise at the next synchronization (Note [Device asserts] in
// cuda/device_assert.h), as a host check would cost a device-to-host sync per op.
std::optional<int64_t> eager_out_of_bounds(const Tensor& index, int64_t size, bool allow_negative);

// ---- type promotion (ops/promotion.cpp) ----
// PyTorch's result_type over tensors (dim > 0 and 0-dim ones) and Python scalars (wrapped numbers).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);

// ---- elementwise arithmetic (ops/binary_ops.cpp, unary_ops.cpp; more in ops/elementwise.h) ----
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Scalar& b);
Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor& add_(Tensor& a, const Scalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor& sub_(Tensor& a, const Scalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor& mul_(Tensor& a, const Tensor& b);
Tensor& mul_(Tensor& a, const Scalar& b);
Tensor& div_(Tensor& a, const Tensor& b);
Tensor& div_(Tensor& a, const Scalar& b);
Tensor neg(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor& abs_(Tensor& a);
Tensor& neg_(Tensor& a);

}  // namespace pe
