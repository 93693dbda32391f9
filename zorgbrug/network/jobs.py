"""Background job kinds of the network domain."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zorgbrug.jobs.registry import JobInputError, job_kind
from zorgbrug.network.postcodes import PostcodeFileError
from zorgbrug.network.services import postcodes_import


@job_kind("network.postcodes_import")
def postcodes_import_job(*, data: str, progress: Any) -> dict[str, Any]:
    try:
        return postcodes_import(data=data, progress=progress)
    except PostcodeFileError as exc:
        raise JobInputError(
            _("Nothing was loaded: %(count)s error(s) in the file.") % {"count": len(exc.errors)},
            {"errors": [str(e) for e in exc.errors[:200]]},
        ) from exc
