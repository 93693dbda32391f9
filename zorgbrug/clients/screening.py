"""The care-barrier score: how strongly care duties keep a client from work or training.

Definition (questionnaire v1), from 0 (no care barrier) to 10 (care is the barrier):

- 3 points when care duties stopped the client from a job, a course or a job interview in
  the last 12 months, and 1 more when two or more of the three happened;
- would accept a job or course within two weeks if care were arranged: yes 2, maybe 1, no 0;
- 1 point for each care recipient who needs care and for whom nothing is arranged
  (arrangement "none", or only the parent themself), at most 2;
- 1 point for a single adult in the household (no one to share the care with);
- 1 point when the client names care duties as the main barrier to work.

The score is descriptive, for research and for prioritising follow-up; it decides nothing
on its own. Changing it means a new questionnaire version, so that old scores stay
comparable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

QUESTIONNAIRE_VERSION = "v1"
MAX_SCORE = 10


@dataclass(frozen=True)
class NeedAnswer:
    arrangement: str  # parent | family | regular_childcare | none
    needs_care: bool  # any day ticked or hours > 0


def barrier_score(
    *,
    stopped_job: bool,
    stopped_course: bool,
    stopped_interview: bool,
    would_accept: str,
    single_adult_household: bool,
    main_barrier: str,
    needs: Iterable[NeedAnswer],
) -> int:
    stopped = sum((stopped_job, stopped_course, stopped_interview))
    score = 0
    if stopped:
        score += 3 + (1 if stopped >= 2 else 0)
    score += {"yes": 2, "maybe": 1}.get(would_accept, 0)
    uncovered = sum(1 for n in needs if n.needs_care and n.arrangement in {"none", "parent"})
    score += min(uncovered, 2)
    score += 1 if single_adult_household else 0
    score += 1 if main_barrier == "care" else 0
    return min(score, MAX_SCORE)


def days_mask(days: Iterable[int]) -> str:
    """Weekday numbers (0 = Monday) to the stored mask, e.g. [0, 1, 3] -> "1101000"."""
    chosen = set(days)
    if not chosen <= set(range(7)):
        raise ValueError("weekdays are 0..6")
    return "".join("1" if d in chosen else "0" for d in range(7))


def days_from_mask(mask: str) -> list[int]:
    return [i for i, c in enumerate(mask) if c == "1"]
