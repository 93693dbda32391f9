"""Background job kinds of the covenant domain: a month's calculation can take seconds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from zorgbrug.jobs.registry import JobInputError, job_kind
from zorgbrug.network.models import Network

SETTLEMENT_CALCULATE = "covenant.settlement_calculate"


@job_kind(SETTLEMENT_CALCULATE)
def settlement_calculate_job(
    *, network: int, month: str, user: int, progress: Any
) -> dict[str, Any]:
    from zorgbrug.covenant.services import settlement_calculate

    actor = get_user_model().objects.filter(pk=user, is_active=True).first()
    progress(0, 1, "")
    try:
        settlement = settlement_calculate(
            actor=actor,
            network=Network.objects.get(pk=network),
            month=dt.date.fromisoformat(month),
        )
    except ValidationError as exc:
        raise JobInputError(" ".join(exc.messages)) from exc
    except PermissionDenied as exc:
        raise JobInputError(_("You may no longer calculate this network's costs.")) from exc
    progress(1, 1, "")
    return {"settlement": settlement.pk, "total": str(settlement.total)}
