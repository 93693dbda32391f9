"""The certificate of participation: a PDF (WeasyPrint) in the client's language.

The language is the first of the client's languages that Zorgbrug speaks (nl, fr, en, ar,
tr), else Dutch; the module's name comes from the catalogue in that language (Dutch when it
has none). Arabic is laid out right to left.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from zorgbrug.clients.models import Client
from zorgbrug.training.models import FALLBACK_LANGUAGE


def certificate_language(client: Client) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return next((x for x in (client.languages or []) if x in codes), FALLBACK_LANGUAGE)


def certificate_pdf(data: dict[str, Any]) -> tuple[bytes, str]:
    """The PDF bytes and a file name, from `selectors.certificate_data`."""
    from weasyprint import HTML  # imported late: it loads Pango, which takes a moment

    client: Client = data["client"]
    language = certificate_language(client)
    module = data["module"]
    with translation.override(language):
        html = render_to_string(
            "training/certificate.html",
            {
                **data,
                "language": language,
                "rtl": translation.get_language_bidi(),
                "module_name": module.name_in(language),
                "module_description": module.description_in(language),
                "kind_label": module.get_kind_display(),
                "issued_on": timezone.localdate(),
            },
        )
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    name = f"certificate-{module.pk}-{client.pk}.pdf"
    return pdf, name
