// Memory formats (PyTorch's torch.memory_format): the stride order a new tensor gets. Channels last
// is only a stride layout (N, C, H, W with C fastest), which every op already reads through strides.
#pragma once
#include <cstdint>

#include "shape.h"

namespace pe {

enum class MemoryFormat : uint8_t { Contiguous, Preserve, ChannelsLast, ChannelsLast3d };

const char* memory_format_name(MemoryFormat f);  // "contiguous_format", "channels_last", ...

// The strides of a new dense tensor of `sizes` in format f (Contiguous, ChannelsLast, ChannelsLast3d);
// RuntimeError "required rank 4 tensor to use channels_last format" for a wrong rank.
DimVector strides_for_format(const DimVector& sizes, MemoryFormat f);

// is_contiguous(memory_format=f): whether the geometry is exactly the dense layout of f
// (Preserve answers as Contiguous, as c10 does).
bool is_contiguous_as(const DimVector& sizes, const DimVector& strides, MemoryFormat f);

// c10's is_non_overlapping_and_dense: the elements tile a block of numel() without gaps or aliasing
// (any dim order), so a copy may keep the strides as they are.
bool is_non_overlapping_and_dense(const DimVector& sizes, const DimVector& strides);

// What preserve_format makes of a tensor that is not dense: channels last when its strides order the
// dims as channels last does (c10's suggest_memory_format), otherwise contiguous.
MemoryFormat suggest_memory_format(const DimVector& sizes, const DimVector& strides);

}  // namespace pe
