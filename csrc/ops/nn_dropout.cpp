// dropout (inverted scaling, with the mask kept for backward) and bernoulli_, both drawing from the
// device's Philox stream like uniform_ (Note [Random number layout] in core/rng.h): element i is
// "kept"/1 when its uniform number is below the keep probability.
#include "core/rng.h"
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

void check_p(double p) {
  PE_CHECK(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got ", p);
}

// Philox counters for t's elements from `gen` or t's device's default generator (Note [Generators]).
void reserve(const Tensor& t, uint64_t* seed, uint64_t* first, Generator* gen = nullptr) {
  generator_or_default(gen, t.device()).reserve(philox_blocks(t.numel()), seed, first);
}

void check_dropout_dtype(const Tensor& input) {
  PE_CHECK(is_floating(input.dtype()), "result type Float can't be cast to the desired output type ",
           nn::type_name(input.dtype()));
  nn::check_float(input, "dropout");
}

}  // namespace

std::tuple<Tensor, Tensor> native_dropout(const Tensor& input, double p, bool train) {
  check_p(p);
  if (!train) return {clone(input), ones(input.sizes(), TensorOptions{DType::Bool, input.device()})};
  check_dropout_dtype(input);
  Tensor x = contiguous(input);
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  Tensor mask = make_empty(x.sizes(), DType::Bool, x.device());
  if (x.numel() > 0) {
    uint64_t seed, first;
    reserve(x, &seed, &first);
    dropout_stub(x.device())(out, mask, x, p, p == 1.0 ? 0.0 : 1.0 / (1.0 - p), seed, first);
  }
  return {out, mask};
}

Tensor native_dropout_backward(const Tensor& grad_output, const Tensor& mask, double scale) {
  PE_CHECK(mask.dtype() == DType::Bool, "Mask should be Bool Scalar Type", nn::type_name(mask.dtype()));
  return mul(mul(grad_output, mask), Scalar(scale));
}

Tensor dropout(const Tensor& input, double p, bool train) {
  check_p(p);
  if (!train || p == 0 || input.numel() == 0) return input;
  if (p == 1) return mul(input, scalar_tensor(Scalar(int64_t(0)), input.dtype(), input.device()));
  return std::get<0>(native_dropout(input, p, train));
}

Tensor& dropout_(Tensor& input, double p, bool train) {
  check_p(p);
  if (!train || p == 0 || input.numel() == 0) return input;
  check_dropout_dtype(input);
  assert_no_internal_overlap(input);
  if (p == 1) return mul_(input, Scalar(int64_t(0)));
  Tensor x = contiguous(input);
  Tensor mask = make_empty(x.sizes(), DType::Bool, x.device());
  uint64_t seed, first;
  reserve(x, &seed, &first);
  dropout_stub(x.device())(x, mask, x, p, 1.0 / (1.0 - p), seed, first);
  if (!x.is_same(input)) copy_(input, x);
  input->bump_version();
  return input;
}

Tensor& bernoulli_(Tensor& t, double p, Generator* gen) {
  PE_CHECK(p >= 0 && p <= 1, "bernoulli_ expects p to be in [0, 1], but got p=", p);
  assert_no_internal_overlap(t);
  if (t.numel() > 0) {
    uint64_t seed, first;
    reserve(t, &seed, &first, gen);
    bernoulli_stub(t.device())(t, p, Tensor(), seed, first);
  }
  t->bump_version();
  return t;
}

Tensor& bernoulli_(Tensor& t, const Tensor& p, Generator* gen) {
  PE_CHECK(is_floating(p.dtype()), "expected probabilities tensor to have floating type, got ",
           nn::type_name(p.dtype()));
  nn::check_same_device(t, p, "bernoulli_");
  assert_no_internal_overlap(t);
  Tensor probs = nn::dense(expand(p, t.sizes()), DType::Float64);
  if (t.numel() > 0) {
    uint64_t seed, first;
    reserve(t, &seed, &first, gen);
    bernoulli_stub(t.device())(t, 0.0, probs, seed, first);
  }
  t->bump_version();
  return t;
}

Tensor bernoulli(const Tensor& probs, Generator* gen) {
  PE_CHECK_T(NotImplementedError, is_floating(probs.dtype()), "\"bernoulli_tensor_cpu_p_\" not implemented for '",
             nn::type_name(probs.dtype()), "'");
  Tensor out = make_empty(probs.sizes(), probs.dtype(), probs.device());
  return bernoulli_(out, probs, gen);
}

}  // namespace pe
