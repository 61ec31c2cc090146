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


_RSS_CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[2])
if sys.argv[1] == "torch":
    import torch as m
else:
    import pyengine as m
q, k, v = (m.randn(1, 8, int(sys.argv[3]), 64) for _ in range(3))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
m.nn.functional.scaled_dot_product_attention(q, k, v)
print(json.dumps((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024.0))
"""


def sdpa_peak_mb(engine: str, length: int) -> float:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, engine, root, str(length)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    torch = import_torch()
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
    report(rows, "sequence models (threads: %s)" % os.environ.get("OMP_NUM_THREADS", "default"))
    print("\nSDPA forward, peak RSS growth (MB) by sequence length (linear = fused/tiled, quadratic = L x S scores):")
    for length in (1024, 2048, 4096):
        line = "  L = S = %5d: pyengine %7.1f" % (length, sdpa_peak_mb("pyengine", length))
        if torch is not None:
            line += "   torch %7.1f" % sdpa_peak_mb("torch", length)
        print(line)



if __name__ == "__main__":
    main()
