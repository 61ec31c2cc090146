"""One child of spawn() under mpirun (Note [Spawned ranks share one MPI world])."""
from __future__ import annotations

import multiprocessing
import multiprocessing.spawn as mp_spawn
import os
import pickle
import sys
import traceback


def main(error_dir: str) -> int:
    with open(os.path.join(error_dir, "prep.pkl"), "rb") as f:
        prep = pickle.load(f)
    if prep.pop("pyengine_aliased", False):
        from pyengine._import_hook import aliased
        with aliased():
            return _run(error_dir, prep)
    return _run(error_dir, prep)


def _run(error_dir: str, prep: dict) -> int:
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMIX_RANK", "0")))
    multiprocessing.current_process().authkey = prep.pop("authkey")
    mp_spawn.prepare(prep)
    try:
        from pyengine.multiprocessing.reductions import init_reductions
        init_reductions()
        with open(os.path.join(error_dir, f"payload_{rank}.pkl"), "rb") as f:
            fn, args = pickle.load(f)
        fn(rank, *args)
    except KeyboardInterrupt:
        return 0
    except Exception as e:  # noqa: BLE001 - any failure of fn is reported to the parent
        with open(os.path.join(error_dir, f"error_{rank}"), "w") as f:
            f.write(f"{os.getpid()}\n{traceback.format_exc()}")
        from pyengine.distributed import distributed_c10d as c10d
        c10d._notify_failure(f"{type(e).__name__}: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
