"""HTTP routes for a loan's documents: GET /loans/{id}/contract and /loans/{id}/key-facts.

``?format=html`` (default, ``text/html; charset=utf-8``) or ``?format=pdf``
(``application/pdf``); anything else is a 422 naming ``format``. The permission is
``loan.documents.read``; a borrower reaches only their own loans (the guard's scope check on
``loan_id``: another borrower's loan is a 403, whether or not it exists).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lendcore.access.guard import allow
from lendcore.documents import render
from lendcore.documents.views import complaint_channel
from lendcore.runner import query
from lendcore.web import EngineDep, IdPath

router = APIRouter(tags=["documents"])
complaint_channel()  # a refused complaint channel stops the server at start-up, not a request

Format = Annotated[Literal["html", "pdf"],
                   Query(description="html (text/html, the default) or pdf (application/pdf)")]
_RESPONSES: dict[int | str, dict[str, object]] = {200: {
    "content": {"text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    "description": "the document"}}


def _answer(loan_id: int, kind: str, fmt: str, engine: EngineDep) -> Response:
    doc = query(engine, render.loan_document, loan_id, kind, fmt)
    return Response(doc.content, media_type=doc.media_type, headers={
        "Content-Disposition": f'inline; filename="{doc.filename}"'})


@router.get("/loans/{loan_id}/contract", dependencies=[allow("loan.documents.read")],
            response_class=Response, responses=_RESPONSES)
def get_contract(loan_id: IdPath, engine: EngineDep,
                 format: Format = "html") -> Response:
    """The loan's contract (借款合同), in the text version the loan opened under."""
    return _answer(loan_id, "contract", format, engine)


@router.get("/loans/{loan_id}/key-facts", dependencies=[allow("loan.documents.read")],
            response_class=Response, responses=_RESPONSES)
def get_key_facts(loan_id: IdPath, engine: EngineDep,
                  format: Format = "html") -> Response:
    """The loan's one-page key-facts sheet (借款关键信息摘要)."""
    return _answer(loan_id, "key-facts", format, engine)
