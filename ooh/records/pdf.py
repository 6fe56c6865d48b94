"""Documents as PDF: a Django template rendered to HTML, drawn by WeasyPrint with the fonts the machine
has (Debian's DejaVu through Pango; bin/ensure-pdf-tools). Nothing is fetched: a document refers to no
URL, and WeasyPrint's fetcher refuses any it meets."""

from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"a records document may not fetch {url!r}")


def render_pdf(template_name: str, context: Mapping[str, Any]) -> bytes:
    """The template (under ooh/records/templates/) rendered with `context`, as PDF bytes."""
    import weasyprint  # imported on first use: it loads Pango, which most processes never need

    html = render_to_string(template_name, dict(context))
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    pdf: bytes = document.write_pdf()
    return pdf
