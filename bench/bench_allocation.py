"""Allocation of scarce places on synthetic contested weeks (issue 8).

For 500, 5,000 and 20,000 requests over 300 providers (zorgbrug.allocation.core.generator),
per size `n<size>_`:

- `seconds`: wall-clock time of the optimised run (options, baseline, presolve, search,
  explanations), with the issue's time limit as its budget;
- `objective`, `bound`, `gap`: covenant points served (with travel and language terms), the
  proven upper bound, and the relative gap between them;
- `served_share`, `greedy_served_share`: share of requests served, optimised and first come,
  first served;
- `value_gain`: priority-weighted value served relative to first come, first served
  (0.05 means 5% more);
- `cpu_seconds`, `reproducible`, `components`, `largest_component`: context.

The machine's load average is recorded too: the CI machine is shared, and wall-clock figures
under load are not comparable with figures on an idle machine.
"""

from __future__ import annotations

import os
import time
from typing import Any

NAME = "allocation"
NEEDS_DATABASE = False
PARAMS: dict[str, Any] = {
    "sizes": [500, 5000, 20000],
    "time_limits": [2.0, 10.0, 60.0],
    "providers": 300,
    "seed": 1,
    "workers": 2,
}


def run(params: dict[str, Any]) -> dict[str, Any]:
    from zorgbrug.allocation.core import Settings, allocate, allocate_fcfs, generate_instance

    metrics: dict[str, Any] = {"load_average": round(os.getloadavg()[0], 2)}
    for size, limit in zip(params["sizes"], params["time_limits"], strict=True):
        instance = generate_instance(
            requests=size, providers=params["providers"], seed=params["seed"]
        )
        settings = Settings(time_limit=limit, seed=params["seed"], workers=params["workers"])
        baseline = allocate_fcfs(instance, settings)
        cpu = time.process_time()
        result = allocate(instance, settings)
        cpu = time.process_time() - cpu
        key = f"n{size}_"
        metrics[key + "seconds"] = round(result.seconds, 2)
        metrics[key + "cpu_seconds"] = round(cpu, 2)
        metrics[key + "objective"] = round(result.objective, 2)
        metrics[key + "bound"] = round(result.bound, 2)
        metrics[key + "gap"] = round(result.gap, 5)
        metrics[key + "served_share"] = round(result.served_share(size), 4)
        metrics[key + "greedy_served_share"] = round(baseline.served_share(size), 4)
        metrics[key + "value_gain"] = round(result.priority_value / baseline.priority_value - 1, 4)
        metrics[key + "reproducible"] = result.reproducible
        metrics[key + "components"] = result.stats["components"]
        metrics[key + "largest_component"] = result.stats["largest_component"]
        print(
            f"  {size:>6} requests: {result.seconds:6.2f} s, gap {result.gap:.4%}, "
            f"gain {metrics[key + 'value_gain']:+.3f}, served {result.served_share(size):.3f} "
            f"(fcfs {baseline.served_share(size):.3f})",
            flush=True,
        )
    return metrics
