"""Rendering a loan's documents: the loan's stored template version, to HTML or PDF.

The text lives in Jinja2 templates shipped in the package, one folder per version
(``templates/contract-2026.12/contract.html``, ``.../key-facts.html``). A loan records the
version it opened under (``loans.contract_version``) and is always rendered with that version's
templates, so a later version changes only the loans opened after it. A version is kept
(:data:`KEPT_VERSIONS`) as long as any loan names it; a loan naming a version that is not kept
is refused (409 ``unknown_contract_version``), never rendered with other words.

The PDF is the same HTML laid out by ``documents.pdf`` (reportlab, built-in CJK font), so the
two formats say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Connection

from lendcore.documents import pdf
from lendcore.documents.facts import LoanFacts, loan_facts
from lendcore.documents.views import ComplaintChannel, complaint_channel, document_view
from lendcore.errors import Conflict, InvalidInput
from lendcore.store.servicing_tables import CONTRACT_VERSION

# The version new loans get: the loans table's server default. A new version: add its template
# folder and to KEPT_VERSIONS, set ``servicing_tables.CONTRACT_VERSION`` and migrate the column's
# default to it, and keep every older folder.
CURRENT_VERSION = CONTRACT_VERSION
KEPT_VERSIONS: tuple[str, ...] = ("contract-2026.12",)
KINDS = {"contract": "contract.html", "key-facts": "key-facts.html"}
FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}

_ENV: Environment | None = None


def environment() -> Environment:
    """The templates' environment (autoescaped; a missing value is an error, not a blank)."""
    global _ENV
    if _ENV is None:
        _ENV = Environment(loader=PackageLoader("lendcore.documents", "templates"),
                           autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                           lstrip_blocks=True, keep_trailing_newline=True)
    return _ENV


@dataclass(frozen=True, slots=True)
class Document:
    content: bytes
    media_type: str
    filename: str


def check_kind(kind: str, field: str = "kind") -> str:
    if kind not in KINDS:
        raise InvalidInput(f"{kind[:32]!r} is not a document; accepted: {', '.join(KINDS)}",
                           field=field)
    return kind


def check_format(fmt: str, field: str = "format") -> str:
    if fmt not in FORMATS:
        raise InvalidInput(f"{fmt[:32]!r} is not a format; accepted: {', '.join(FORMATS)}",
                           field=field)
    return fmt


def render_html(kind: str, facts: LoanFacts, channel: ComplaintChannel) -> str:
    """The document ``kind`` of ``facts`` in the loan's own template version."""
    version = facts.contract_version
    if version not in KEPT_VERSIONS:
        raise Conflict(f"loan {facts.loan_id} was opened under contract version {version!r}, "
                       f"whose templates this release does not keep (kept: "
                       f"{', '.join(KEPT_VERSIONS)})", field="contract_version",
                       code="unknown_contract_version")
    template = environment().get_template(f"{version}/{KINDS[check_kind(kind)]}")
    return template.render(document_view(facts, channel))


def render(kind: str, fmt: str, facts: LoanFacts, channel: ComplaintChannel) -> Document:
    html = render_html(kind, facts, channel)
    name = f"{kind}-{facts.loan_id}.{check_format(fmt)}"
    if fmt == "pdf":
        return Document(pdf.html_to_pdf(html), FORMATS[fmt], name)
    return Document(html.encode("utf-8"), FORMATS[fmt], name)


def loan_document(conn: Connection, loan_id: int, kind: str, fmt: str) -> Document:
    """The read behind the API and the CLI: loan ``loan_id``'s document ``kind`` as ``fmt``."""
    check_kind(kind)
    check_format(fmt)
    channel = complaint_channel()
    return render(kind, fmt, loan_facts(conn, loan_id), channel)
