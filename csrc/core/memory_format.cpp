// Memory-format stride rules (channels last is C fastest, then W, H, N; 3d: C, W, H, D, N).
#include "memory_format.h"

#include <algorithm>
#include <numeric>

#include "error.h"

namespace pe {

namespace {

// The dims from fastest to slowest for each channels-last format.
constexpr int64_t kOrder2d[] = {1, 3, 2, 0};
constexpr int64_t kOrder3d[] = {1, 4, 3, 2, 0};

template <size_t N>
bool dense_in_order(const DimVector& sizes, const DimVector& strides, const int64_t (&order)[N]) {
  if (sizes.size() != N) return false;
  int64_t expected = 1;
  for (int64_t d : order) {
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

// c10's is_channels_last_strides_{2d,3d}: the strides are ordered as channels last (gaps allowed),
// with its tie-breaks towards NCHW for ambiguous size-1 layouts.
template <size_t N>
bool strides_like_order(const DimVector& sizes, const DimVector& strides, const int64_t (&order)[N]) {
  if (sizes.size() != N || strides[1] == 0) return false;
  int64_t min = 0;
  for (int64_t d : order) {
    if (sizes[d] == 0 || strides[d] < min) return false;
    if (d == 0 && min == strides[1]) return false;
    min = strides[d] * (sizes[d] > 1 ? sizes[d] : 1);
  }
  return true;
}

}  // namespace

const char* memory_format_name(MemoryFormat f) {
  switch (f) {
    case MemoryFormat::Contiguous: return "contiguous_format";
    case MemoryFormat::Preserve: return "preserve_format";
    case MemoryFormat::ChannelsLast: return "channels_last";
    case MemoryFormat::ChannelsLast3d: return "channels_last_3d";
  }
  return "?";
}

DimVector strides_for_format(const DimVector& sizes, MemoryFormat f) {
  if (f == MemoryFormat::Contiguous) return contiguous_strides(sizes);
  PE_CHECK(f != MemoryFormat::Preserve, "preserve_format has no strides of its own");
  bool is3d = f == MemoryFormat::ChannelsLast3d;
  size_t rank = is3d ? 5 : 4;
  PE_CHECK(sizes.size() == rank, "required rank ", rank, " tensor to use ", memory_format_name(f), " format");
  DimVector st(rank);
  const int64_t* order = is3d ? kOrder3d : kOrder2d;
  int64_t acc = 1;
  for (size_t i = 0; i < rank; ++i) {  // (a size 0 zeroes the slower strides, as in c10)
    st[order[i]] = acc;
    acc *= sizes[order[i]];
  }
  return st;
}

bool is_contiguous_as(const DimVector& sizes, const DimVector& strides, MemoryFormat f) {
  switch (f) {
    case MemoryFormat::ChannelsLast: return dense_in_order(sizes, strides, kOrder2d);
    case MemoryFormat::ChannelsLast3d: return dense_in_order(sizes, strides, kOrder3d);
    default: return is_contiguous_geometry(sizes, strides);
  }
}

bool is_non_overlapping_and_dense(const DimVector& sizes, const DimVector& strides) {
  int64_t n = (int64_t)sizes.size();
  if (n == 1) return sizes[0] < 2 || strides[0] == 1;
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  // by stride, the size-0/1 dims last (their strides do not matter)
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    if (sizes[a] < 2) return false;
    if (sizes[b] < 2) return true;
    return strides[a] < strides[b];
  });
  int64_t expected = 1;
  for (int64_t d : perm) {
    if (sizes[d] < 2) return true;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

MemoryFormat suggest_memory_format(const DimVector& sizes, const DimVector& strides) {
  if (strides_like_order(sizes, strides, kOrder2d)) return MemoryFormat::ChannelsLast;
  if (strides_like_order(sizes, strides, kOrder3d)) return MemoryFormat::ChannelsLast3d;
  return MemoryFormat::Contiguous;
}

}  // namespace pe
