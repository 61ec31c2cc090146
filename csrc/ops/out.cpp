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
  bool resized_nonempty = false;
  if (out.sizes() != result.sizes()) {
    resized_nonempty = out.numel() > 0;
    resize_(out, result.sizes());
  }
  copy_(out, result);
  return resized_nonempty;
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
