"""Background job kinds of the clients domain."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from zorgbrug.clients import imports
from zorgbrug.jobs.models import Job
from zorgbrug.jobs.registry import TRANSIENT_ERRORS, JobInputError, job_kind
from zorgbrug.network.models import Network, Organisation

CASELOAD_IMPORT = "clients.caseload_import"
MAX_REPORTED_ERRORS = 500


def caseload_import_params(
    *, data: bytes, filename: str, organisation: Organisation, network: Network, user: Any
) -> dict[str, Any]:
    """The job's parameters: the file travels base64-encoded in the job row (workers may run
    on other machines) and is removed from it once the job has run."""
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "filename": filename,
        "organisation": organisation.pk,
        "network": network.pk,
        "user": user.pk,
        "consent_confirmed": True,
        "upload": secrets.token_urlsafe(12),
    }


@job_kind(CASELOAD_IMPORT)
def caseload_import_job(
    *,
    data: str,
    filename: str,
    organisation: int,
    network: int,
    user: int,
    consent_confirmed: bool,
    upload: str,
    progress: imports.ProgressFn,
) -> dict[str, Any]:
    try:
        result = _import(
            data=data,
            filename=filename,
            organisation_id=organisation,
            network_id=network,
            user_id=user,
            consent_confirmed=consent_confirmed,
            progress=progress,
        )
    except TRANSIENT_ERRORS:
        raise  # retried: the file is still needed
    except BaseException:
        _forget_file(upload)
        raise
    _forget_file(upload)
    return result


def _import(
    *,
    data: str,
    filename: str,
    organisation_id: int,
    network_id: int,
    user_id: int,
    consent_confirmed: bool,
    progress: imports.ProgressFn,
) -> dict[str, Any]:
    if not consent_confirmed:
        raise JobInputError(
            _("Nothing was imported: the clients' consent for care support was not confirmed.")
        )
    actor = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    org = Organisation.objects.filter(pk=organisation_id).first()
    net = Network.objects.filter(pk=network_id).first()
    if actor is None or org is None or net is None:
        raise JobInputError(_("Nothing was imported: you may no longer register these clients."))
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise JobInputError(_("Nothing was imported: the file was damaged on the way.")) from exc
    try:
        rows, errors = imports.read_caseload(
            content, filename, consent_language=translation.get_language() or "nl"
        )
        progress(0, 2 * len(rows), _("Checking %(total)s rows") % {"total": len(rows)})
        return imports.caseload_import(
            actor=actor,
            organisation=org,
            network=net,
            rows=rows,
            errors=errors,
            progress=progress,
        )
    except imports.ImportRefused as exc:
        errors = exc.errors
        raise JobInputError(
            _("Nothing was imported: %(count)s error(s) in the file.") % {"count": len(errors)},
            {
                "errors": [str(e) for e in errors[:MAX_REPORTED_ERRORS]],
                "row_errors": [e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
                "error_count": len(errors),
            },
        ) from exc
    except PermissionDenied as exc:
        raise JobInputError(
            _("Nothing was imported: you may no longer register clients for %(org)s.")
            % {"org": org.name}
        ) from exc


def _forget_file(upload: str) -> None:
    """The file holds personal data: keep only its name in the job once it has run."""
    for job in Job.objects.filter(kind=CASELOAD_IMPORT, params__upload=upload):
        job.params = {
            "filename": job.params.get("filename", ""),
            "organisation": job.params.get("organisation"),
            "upload": upload,
        }
        job.save(update_fields=["params"])
