"""Packed and padded sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence, pack/pad and
their inverses. A packed sequence stores the steps of a sorted batch one after the other, each step
holding only the rows whose sequence is still running (``batch_sizes[t]`` rows)."""
from __future__ import annotations

from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

import pyengine

from ..._C import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


def invert_permutation(permutation: Optional[Tensor]) -> Optional[Tensor]:
    if permutation is None:
        return None
    output = pyengine.empty_like(permutation)
    output.scatter_(0, permutation, pyengine.arange(0, permutation.numel(), device=permutation.device))
    return output


class PackedSequence(PackedSequence_):
    """Holds the data and the per-step batch sizes of a packed batch of sequences."""

    def __new__(cls, data: Tensor, batch_sizes: Optional[Tensor] = None, sorted_indices: Optional[Tensor] = None,
                unsorted_indices: Optional[Tensor] = None) -> "PackedSequence":
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never "
                                 "be created manually. They should be instantiated by functions like "
                                 "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not isinstance(data, (list, tuple)) or len(data) != 2:
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> "PackedSequence":
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def to(self, *args, **kwargs) -> "PackedSequence":
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs) -> "PackedSequence":
        return self._with_data(self.data.cpu(*args, **kwargs))

    def pin_memory(self) -> "PackedSequence":
        return self._with_data(self.data.pin_memory())

    def double(self) -> "PackedSequence":
        return self.to(dtype=pyengine.double)

    def float(self) -> "PackedSequence":
        return self.to(dtype=pyengine.float)

    def half(self) -> "PackedSequence":
        return self.to(dtype=pyengine.half)

    def long(self) -> "PackedSequence":
        return self.to(dtype=pyengine.long)

    def int(self) -> "PackedSequence":
        return self.to(dtype=pyengine.int)

    def short(self) -> "PackedSequence":
        return self.to(dtype=pyengine.short)

    def char(self) -> "PackedSequence":
        return self.to(dtype=pyengine.int8)

    def byte(self) -> "PackedSequence":
        return self.to(dtype=pyengine.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def _lengths_list(lengths: Union[Tensor, Sequence[int]]) -> List[int]:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1 or lengths.device.type != "cpu" or lengths.dtype != pyengine.int64:
            kind = {pyengine.int64: "Long", pyengine.int32: "Int"}.get(lengths.dtype, str(lengths.dtype))
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device} {kind} tensor")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input: Tensor, lengths: Union[Tensor, Sequence[int]], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T x B x * or B x T x *) of sequences of the given lengths."""
    if isinstance(lengths, Tensor) and lengths.device.type != "cpu":
        lengths = lengths.cpu()
    if not isinstance(lengths, Tensor):
        lengths = pyengine.tensor(_lengths_list(lengths), dtype=pyengine.int64)
    else:
        lengths = lengths.to(pyengine.int64)
    batch_dim = 0 if batch_first else 1
    if enforce_sorted:
        values = lengths.tolist()
        if any(values[i] < values[i + 1] for i in range(len(values) - 1)):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need ONNX "
                               "exportability.")
        sorted_indices = None
    else:
        lengths, sorted_indices = pyengine.sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(batch_dim, sorted_indices)
    values = _lengths_list(lengths)
    if batch_first:
        input = input.transpose(0, 1)
    if len(values) != input.size(1):
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
                           f"(batch_size={input.size(1)})")
    if values and values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if values and values[0] > input.size(0):
        raise RuntimeError(f"Expected sequence length to be larger than or equal to the largest length "
                           f"{values[0]}, but got {input.size(0)}")
    max_len = values[0] if values else 0
    batch_sizes = [sum(1 for v in values if v > t) for t in range(max_len)]
    data = pyengine.cat([input[t, :bs] for t, bs in enumerate(batch_sizes)]) if batch_sizes \
        else input.reshape((0,) + tuple(input.shape[2:]))
    return PackedSequence(data, pyengine.tensor(batch_sizes, dtype=pyengine.int64), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded batch, lengths) in the original batch order."""
    data, batch_sizes = sequence.data, [int(b) for b in sequence.batch_sizes.tolist()]
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being "
                             f"{max_seq_length}")
    else:
        total_length = max_seq_length
    batch = batch_sizes[0] if batch_sizes else 0
    rest = tuple(data.shape[1:])
    steps, offset = [], 0
    for bs in batch_sizes:
        piece = data[offset:offset + bs]
        offset += bs
        if bs < batch:
            piece = pyengine.cat([piece, pyengine.full((batch - bs,) + rest, padding_value, dtype=data.dtype,
                                                       device=data.device)])
        steps.append(piece)
    if total_length > max_seq_length:
        pad = pyengine.full((batch,) + rest, padding_value, dtype=data.dtype, device=data.device)
        steps.extend([pad] * (total_length - max_seq_length))
    padded = pyengine.stack(steps) if steps else data.new_full((0, batch) + rest, padding_value)
    lengths = pyengine.tensor([sum(1 for b in batch_sizes if b > i) for i in range(batch)], dtype=pyengine.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def pad_sequence(sequences: Union[Tensor, Iterable[Tensor]], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stacks sequences of different lengths (L_i x *) into a padded batch (T x B x *, or B x T x *)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.size(0) for s in sequences)
    rest = tuple(sequences[0].shape[1:])
    rows = []
    for s in sequences:
        if tuple(s.shape[1:]) != rest:
            raise RuntimeError(f"The size of tensor a ({rest[-1] if rest else 0}) must match the size of "
                               f"tensor b ({s.shape[-1] if s.dim() > 1 else 0}) at non-singleton dimension 1")
        missing = max_len - s.size(0)
        if missing:
            pad = pyengine.full((missing,) + rest, padding_value, dtype=s.dtype, device=s.device)
            s = pyengine.cat([s, pad] if padding_side == "right" else [pad, s])
        rows.append(s)
    out = pyengine.stack(rows)  # B x T x *
    return out if batch_first else out.transpose(0, 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> List[Tensor]:
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    lengths = pyengine.tensor([v.size(0) for v in sequences], dtype=pyengine.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
