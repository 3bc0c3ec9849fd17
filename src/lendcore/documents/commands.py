"""CLI for a loan's documents, under ``lendcore loan``::

    lendcore loan contract ID [--format html|pdf] [--out FILE]
    lendcore loan key-facts ID [--format html|pdf] [--out FILE]

Without ``--out`` HTML goes to standard output; a PDF needs ``--out`` (binary is not written to
a terminal). The permission is ``loan.documents.read`` (``access.policy.CLI``). A mistake is one
line ``error: <field>: <detail>``, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from lendcore.cli_support import read
from lendcore.documents import render
from lendcore.errors import InvalidInput

ID_MAX = 2**63 - 1


def _write(loan_id: int, kind: str, fmt: str, out: Path | None) -> None:
    if not 1 <= loan_id <= ID_MAX:
        raise InvalidInput("must be an id from 1 to 2^63-1", field="loan_id")
    render.check_format(fmt, "--format")
    if fmt == "pdf" and out is None:
        raise InvalidInput("a PDF is written to a file: give --out FILE", field="--out")
    if out is not None and not out.parent.is_dir():
        raise InvalidInput(f"no folder {str(out.parent)[:200]!r}", field="--out")
    doc = read(render.loan_document, loan_id, kind, fmt)
    if out is None:
        typer.echo(doc.content.decode("utf-8"), nl=False)
        return
    try:
        out.write_bytes(doc.content)
    except OSError as exc:
        raise InvalidInput(f"cannot write {str(out)[:200]!r}: {exc.strerror}",
                           field="--out") from None
    typer.echo(f"{out} ({len(doc.content)} bytes, {doc.media_type})")


def contract_cmd(loan_id: int, format: str = typer.Option("html", "--format",
                                                           help="html | pdf"),
                 out: Path = typer.Option(None, "--out", help="write to FILE")) -> None:
    """The loan's contract (借款合同), in the text version it opened under."""
    _write(loan_id, "contract", format, out)


def key_facts_cmd(loan_id: int, format: str = typer.Option("html", "--format",
                                                            help="html | pdf"),
                  out: Path = typer.Option(None, "--out", help="write to FILE")) -> None:
    """The loan's one-page key-facts sheet (借款关键信息摘要)."""
    _write(loan_id, "key-facts", format, out)


def register(app: typer.Typer) -> None:
    """Adds ``contract`` and ``key-facts`` to the ``loan`` group (servicing mounts it first)."""
    loan = next((g.typer_instance for g in app.registered_groups if g.name == "loan"), None)
    if loan is None:
        raise RuntimeError("lendcore loan must be mounted before the documents' commands")
    loan.command("contract")(contract_cmd)
    loan.command("key-facts")(key_facts_cmd)
