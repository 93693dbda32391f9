"""Run the benchmarks: `python -m bench` (all) or `python -m bench NAME` (one)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

from bench.common import scratch_database, setup_django, write_result


def available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def main(argv: list[str]) -> int:
    names = [f"bench_{n}" for n in argv] if argv else available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(
            f"Unknown benchmark(s): {', '.join(u[6:] for u in unknown)}. "
            f"Available: {', '.join(a[6:] for a in available())}",
            file=sys.stderr,
        )
        return 2
    setup_django()
    from django.db import connection

    for module_name in names:
        module = importlib.import_module(f"bench.{module_name}")
        params = dict(module.PARAMS)
        # BENCH_PARAMS='{"workers": 8}' overrides parameters for an experiment; the result
        # file records the parameters used.
        params.update(json.loads(os.environ.get("BENCH_PARAMS") or "{}"))
        if getattr(module, "NEEDS_DATABASE", True):
            with scratch_database() as vendor:
                params["database"] = vendor
                print(f"== {module.NAME} on {vendor} {params}", flush=True)
                metrics = module.run(params)
        else:  # pure algorithms: no database at all
            print(f"== {module.NAME} {params}", flush=True)
            metrics = module.run(params)
        path = write_result(module.NAME, metrics, params)
        print(json.dumps(metrics, indent=2))
        print(f"-> {path}")
        connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
