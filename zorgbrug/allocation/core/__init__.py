"""The pure allocation core: who gets the scarce places, and why the others do not.

No Django here: plain frozen dataclasses in, plain frozen dataclasses out. Entry points:

- `allocate(instance, settings)`: the optimised allocation (OR-Tools CP-SAT).
- `allocate_fcfs(instance, settings)`: first come, first served, for comparison.
- `what_if(instance, changes, settings)`: capacity planning ("with N more places at X").
- `describe(reason)`: an unserved request's reason in English.
- `generate_instance(...)`: synthetic contested weeks for tests and benchmarks.

See docs/allocation.md for the model, the solver and the measurements.
"""

from zorgbrug.allocation.core.explain import describe
from zorgbrug.allocation.core.generator import generate_instance
from zorgbrug.allocation.core.model import (
    DEFAULT_BANDS,
    DEFAULT_PRIORITY_WEIGHTS,
    AgeBand,
    AllocationResult,
    Assignment,
    CareRecipient,
    CareRequest,
    DayPart,
    Instance,
    Location,
    Placement,
    Places,
    Priority,
    PriorityWeight,
    Reason,
    ReasonCode,
    Site,
    Slot,
    SolveStatus,
    Unserved,
    Weights,
)
from zorgbrug.allocation.core.problem import InvalidInstance
from zorgbrug.allocation.core.solver import Settings, allocate, allocate_fcfs
from zorgbrug.allocation.core.whatif import (
    CapacityChange,
    WhatIf,
    more_places,
    move_places,
    what_if,
    with_changes,
)

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_PRIORITY_WEIGHTS",
    "AgeBand",
    "AllocationResult",
    "Assignment",
    "CapacityChange",
    "CareRecipient",
    "CareRequest",
    "DayPart",
    "Instance",
    "InvalidInstance",
    "Location",
    "Placement",
    "Places",
    "Priority",
    "PriorityWeight",
    "Reason",
    "ReasonCode",
    "Settings",
    "Site",
    "Slot",
    "SolveStatus",
    "Unserved",
    "Weights",
    "WhatIf",
    "allocate",
    "allocate_fcfs",
    "describe",
    "generate_instance",
    "more_places",
    "move_places",
    "what_if",
    "with_changes",
]
