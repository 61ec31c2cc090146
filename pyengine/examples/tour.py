"""A short tour of pyengine's tensors: creation, views sharing storage, indexing, the numpy bridge
and printing. ``python -m pyengine.examples.tour``"""
from __future__ import annotations

import numpy as np

import pyengine as torch


def main() -> None:
    torch.manual_seed(0)
    x = torch.rand(5, 3)
    print("x = torch.rand(5, 3):", x, "size:", x.size(), "column 1:", x[:, 1], sep="\n")

    b = torch.Tensor([[1, 2, 3], [4, 5, 6]])
    print("\nb.stride() =", b.stride(), " b.t().stride() =", b.t().stride())

    a = torch.arange(0, 6, dtype=torch.float32)
    v = a.view(2, 3)
    v[0, 1] = 100  # views share storage
    print("\na after writing through a view:", a)
    print("a.storage():", a.storage(), sep="\n")

    e = a.view(2, 3)[::1, ::2]
    print("\nstepped slice", e, "stride", e.stride(), "contiguous?", e.is_contiguous())

    ones = torch.ones(5)
    n = ones.numpy()
    ones.add_(1)  # numpy sees the change: shared memory
    print("\nnumpy view after add_(1):", n)
    arr = np.arange(4.0)
    t = torch.from_numpy(arr)
    np.multiply(arr, 10, out=arr)
    print("tensor view after numpy multiply:", t)

    big = torch.ones(3, 2).unsqueeze(0).expand(10**13, 3, 2)
    print("\nexpand allocates nothing:", big.shape, big.stride())
    mask = torch.from_numpy(np.array([True, False, True]))
    print("boolean mask a[:3][mask] =", a[:3][mask])
    print("cuda available:", torch.cuda.is_available())


if __name__ == "__main__":
    main()
