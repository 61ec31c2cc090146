// out= handling (Note [out= arguments] in out.h).
#include "ops/out.h"

namespace pe {

bool write_out(Tensor& out, const Tensor& result, OutDtype rule, const char* fn) {
  PE_CHECK(out.device() == result.device(), "Expected out tensor to have device ", result.device().str(),
           ", but got ", out.device().str(), " instead");
  switch (rule) {
    case OutDtype::Same:
      PE_CHECK(out.dtype() == result.dtype(), "Expected out tensor to have dtype ", cpp_type_name(result.dtype()),
               ", but got ", cpp_type_name(out.dtype()), " instead");
      break;
    case OutDtype::Castable:
      PE_CHECK(can_cast(result.dtype(), out.dtype()), "result type ", scalar_type_name(result.dtype()),
               " can't be cast to the desired output type ", scalar_type_name(out.dtype()));
      break;
    case OutDtype::CatCastable:
      PE_CHECK_TYPE(can_cast(result.dtype(), out.dtype()), fn, ": input types can't be cast to the desired output type ",
                    scalar_type_name(out.dtype()));
      break;
  }
  if (result.is_same(out)) {  // the kernel wrote into out already (Note [out= destination])
    out->bump_version();
    return false;
  }
  bool resized_nonempty = false;
  if (out.sizes() != result.sizes()) {
    resized_nonempty = out.numel() > 0;
    resize_(out, result.sizes());
  }
  copy_(out, result);
  return resized_nonempty;
}

namespace {
thread_local const Tensor* offered_out = nullptr;  // Note [out= destination]
}  // namespace

OutDestination::OutDestination(const Tensor& out) : prev_(offered_out) { offered_out = &out; }
OutDestination::~OutDestination() { offered_out = prev_; }

Tensor OutDestination::take(const DimVector& shape, DType dt, Device dev,
                            std::initializer_list<const TensorOrScalar*> ops) {
  const Tensor* out = offered_out;
  if (!out) return Tensor();
  if (out->dtype() != dt || out->device() != dev || out->sizes() != shape || out->numel() == 0) return Tensor();
  for (int64_t d = 0; d < out->dim(); ++d)
    if (out->strides()[d] == 0 && out->sizes()[d] > 1) return Tensor();  // internal overlap: copy_ raises
  for (auto* op : ops)
    if (!op->is_scalar && op->tensor.defined() && share_memory(op->tensor, *out)) return Tensor();
  offered_out = nullptr;
  return *out;
}

// By address range: two tensors made by from_numpy of one array have distinct storages over the
// same bytes.
bool OutDestination::share_memory(const Tensor& t, const Tensor& u) {
  if (t->storage() == u->storage()) return true;
  const char* tb = static_cast<const char*>(t->storage()->data());
  const char* ub = static_cast<const char*>(u->storage()->data());
  return tb < ub + u->storage()->nbytes() && ub < tb + t->storage()->nbytes();
}

TensorOptions factory_out_options(const TensorOptions& opt, const Tensor& out) {
  PE_CHECK(!opt.dtype || *opt.dtype == out.dtype(), "dtype ", scalar_type_name(*opt.dtype),
           " does not match dtype of out parameter (", scalar_type_name(out.dtype()), ")");
  TensorOptions r = opt;
  r.dtype = out.dtype();
  r.device = out.device();
  return r;
}

}  // namespace pe
