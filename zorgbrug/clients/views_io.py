"""Import of an existing caseload (as a background job) and export of one's own caseload."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zorgbrug.access import scoping as access
from zorgbrug.clients import imports, jobs, selectors, services
from zorgbrug.clients.forms import ImportForm
from zorgbrug.clients.models import Client, ClientStatus
from zorgbrug.core.forms import post_data
from zorgbrug.jobs.services import job_enqueue
from zorgbrug.network.models import Organisation

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CHUNK_ROWS = 200


def _client_organisations(request: HttpRequest) -> list[Organisation]:
    ids = access.client_organisation_ids(request.user)
    if not ids:
        raise PermissionDenied
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


# --- Import ---------------------------------------------------------------------------


@login_required
def caseload_import(request: HttpRequest) -> HttpResponse:
    orgs = _client_organisations(request)
    form = ImportForm(post_data(request), request.FILES or None, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        organisation = next(o for o in orgs if o.pk == form.cleaned_data["organisation"])
        networks = services.referral_networks(organisation)
        upload = form.cleaned_data["file"]
        data = upload.read()
        if not networks:
            form.add_error(
                "organisation",
                _("%(org)s is not a referring partner of any network.") % {"org": organisation},
            )
        else:
            try:
                imports.inspect_file(data, upload.name)
            except imports.ImportRefused as exc:
                form.add_error("file", exc.messages)
            else:
                job = job_enqueue(
                    kind=jobs.CASELOAD_IMPORT,
                    title=_("Caseload import: %(file)s") % {"file": upload.name},
                    params=jobs.caseload_import_params(
                        data=data,
                        filename=upload.name,
                        organisation=organisation,
                        network=networks[0],
                        user=request.user,
                    ),
                    user=request.user,
                )
                return redirect("jobs:job_detail", pk=job.pk)
    return render(
        request,
        "clients/import.html",
        {"form": form, "columns": imports.COLUMNS, "max_rows": imports.MAX_ROWS},
        status=400 if request.method == "POST" else 200,
    )


# --- Export ---------------------------------------------------------------------------


@login_required
@require_GET
def caseload_export(request: HttpRequest) -> HttpResponseBase:
    """The caseload page's clients, with the page's filters, as CSV (streamed) or XLSX."""
    orgs = _client_organisations(request)
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    status = request.GET.get("status", "")
    org_filter = request.GET.get("organisation", "")
    organisation_id = int(org_filter) if org_filter.isdigit() else None
    if organisation_id not in {o.pk for o in orgs}:
        organisation_id = None
    export = selectors.caseload_export(
        user=request.user,
        query=request.GET.get("q", ""),
        status=status if status in ClientStatus.values else "",
        organisation_id=organisation_id,
        file_format=file_format,
    )
    filename = f"caseload-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response: HttpResponseBase
    if file_format == "csv":
        response = StreamingHttpResponse(
            _csv_chunks(export.clients), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(_xlsx_bytes(export.clients), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Client-Count"] = str(export.count)
    return response


class _Echo:
    """A file-like object for csv.writer that hands back what it is given."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return imports.csv_safe(value)


def _csv_chunks(clients: Iterable[Client]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte order mark makes Excel read the file as UTF-8.
    chunk = ["\ufeff" + writer.writerow(imports.EXPORT_COLUMNS)]
    for client in clients:
        chunk.append(writer.writerow([_csv_cell(v) for v in imports.export_values(client)]))
        if len(chunk) >= CSV_CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _xlsx_bytes(clients: Iterable[Client]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="caseload")
    sheet.append(list(imports.EXPORT_COLUMNS))
    for client in clients:
        row: list[Any] = []
        for value in imports.export_values(client):
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
