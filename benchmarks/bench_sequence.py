"""Sequence models beside PyTorch (issue 14's shapes): LSTM and GRU (2 layers, hidden 256, seq 35, batch 20,
the word-language-model shape) forward+backward; scaled_dot_product_attention at L = S = 1024, 8 heads,
head dim 64 (forward and forward+backward, with the peak RSS growth of each engine measured in a child
process); a Transformer encoder layer (d_model 512, 8 heads, seq 128, batch 8) forward+backward.
``python benchmarks/bench_sequence.py``"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from _common import import_torch, median_time, report  # noqa: I001 (sets the path first)

import pyengine as pe


def rnn_step(m, cls: str):
    net = getattr(m.nn, cls)(256, 256, 2)
    x = m.randn(35, 20, 256)

    def run():
        out, _ = net(x)
        out.sum().backward()
    return run


def sdpa(m, backward: bool):
    q, k, v = (m.randn(1, 8, 1024, 64, requires_grad=backward) for _ in range(3))

    def run():
        out = m.nn.functional.scaled_dot_product_attention(q, k, v)
        if backward:
            out.sum().backward()
    return run


def encoder_layer(m):
    layer = m.nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, batch_first=True)
    x = m.randn(8, 128, 512)

    def run():
        layer(x).sum().backward()
    return run


# The peak RSS of the SDPA call alone: the peak (VmHWM) is reset to the current RSS just before it
# (writing 5 to /proc/self/clear_refs), so the import's own peak does not hide it; growth = VmHWM after
# minus VmRSS before. The inputs exist before the reset, so only the call's working memory counts.
_RSS_CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
if sys.argv[1] == "torch":
    import torch as m
else:
    import pyengine as m
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
q, k, v = (m.randn(1, 8, int(sys.argv[3]), 64) for _ in range(3))
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
out = m.nn.functional.scaled_dot_product_attention(q, k, v)
print(json.dumps(status("VmHWM") - before))
"""


def sdpa_peak_mb(engine: str, length: int) -> float:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, engine, root, str(length)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return "load average %.2f %.2f %.2f (%d cores)" % (os.getloadavg() + (os.cpu_count() or 0,))


def main() -> None:
    torch = import_torch()
    print("before:", load())
    rows = []
    for name, make in (("LSTM 2x256, seq 35, batch 20 fwd+bwd", lambda m: rnn_step(m, "LSTM")),
                       ("GRU 2x256, seq 35, batch 20 fwd+bwd", lambda m: rnn_step(m, "GRU")),
                       ("SDPA 8x1024x64 forward", lambda m: sdpa(m, False)),
                       ("SDPA 8x1024x64 fwd+bwd", lambda m: sdpa(m, True)),
                       ("TransformerEncoderLayer 512/8 fwd+bwd", encoder_layer)):
        pe.manual_seed(0)
        pe_t = median_time(make(pe), repeat=5)
        th_t = None
        if torch is not None:
            torch.manual_seed(0)
            th_t = median_time(make(torch), repeat=5)
        rows.append((name, pe_t, th_t, ""))
    threads = "pyengine %d, torch %s" % (pe.get_num_threads(), torch.get_num_threads() if torch else "-")
    report(rows, "sequence models (medians of 5; threads: %s)" % threads)
    print("after:", load())
    print("\nSDPA forward, 8 heads, head dim 64: peak RSS growth of the call (MB; the output alone is "
          "2 MB per 1024 rows; linear = tiled, quadratic = the L x S scores, 32 MB for the 8 heads at 1024):")
    for length in (1024, 2048, 4096, 8192):
        line = "  L = S = %5d: pyengine %7.1f" % (length, sdpa_peak_mb("pyengine", length))
        if torch is not None:
            line += "   torch %7.1f" % sdpa_peak_mb("torch", length)
        print(line)


if __name__ == "__main__":
    main()
