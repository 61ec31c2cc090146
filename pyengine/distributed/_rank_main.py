"""One rank of ``python -m pyengine.distributed.run``: torchrun's variables from Open MPI's, then the
user's script (or module, after -m) through pyengine.run."""
from __future__ import annotations

import os
import sys


def _set_env() -> None:
    e = os.environ
    e["RANK"] = e.get("OMPI_COMM_WORLD_RANK", "0")
    e["WORLD_SIZE"] = e.get("OMPI_COMM_WORLD_SIZE", "1")
    e["LOCAL_RANK"] = e.get("OMPI_COMM_WORLD_LOCAL_RANK", "0")
    e["LOCAL_WORLD_SIZE"] = e.get("OMPI_COMM_WORLD_LOCAL_SIZE", "1")
    e["GROUP_RANK"] = e.get("OMPI_COMM_WORLD_NODE_RANK", "0")
    e["ROLE_RANK"] = e["RANK"]
    e["ROLE_WORLD_SIZE"] = e["WORLD_SIZE"]


def main() -> int:
    _set_env()
    # pyengine.run runs the script as `python script.py` would, with `import torch` answered by
    # pyengine, so PyTorch's DDP examples run unmodified; an uncaught exception goes through
    # sys.excepthook (and so reaches the other ranks: Note [Joining one MPI world]).
    from pyengine.run import main as run_main
    return run_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
