"""PDF from the documents' own HTML, with reportlab and its built-in Chinese font.

Why reportlab: a well-kept pure-PyPI library that ships the Adobe CJK font metrics, so
``UnicodeCIDFont("STSong-Light")`` renders Chinese with no font file to download or install (the
PDF names the font; every PDF reader carries it). An HTML-to-PDF engine (WeasyPrint, a browser)
would need system libraries or fonts outside PyPI.

The layout reads the same HTML the HTML format serves (one text, two formats), restricted to
what the templates use: ``h1``-``h3``, ``p``, ``ul``/``li``, ``table`` rows of ``th``/``td``,
inline ``strong``/``b``/``span``/``em`` and ``br``; an element marked ``data-pdf="skip"``
(what only a screen needs) is left out. An inline ``style="font-size: 28px"`` is kept
(px x 0.75 = pt), so the annual rate is as prominent in the PDF as in the HTML. ``<meta
name="pdf-footer">`` is the footer printed on every page with the page number.

Output is deterministic (reportlab's invariant mode): the same loan renders the same bytes.
"""

from __future__ import annotations

import io
import re
from html import escape
from html.parser import HTMLParser
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
PX_TO_PT = 0.75
BLOCK_PX = {"h1": 22, "h2": 15, "h3": 14, "p": 14, "li": 14, "th": 12, "td": 12}
BLOCKS = frozenset({"h1", "h2", "h3", "p", "li"})
INLINE = frozenset({"strong", "b", "span", "em"})
SKIPPED = frozenset({"head", "style", "script", "title"})
VOID = frozenset({"br", "hr", "img", "meta", "link", "input"})
_FONT_SIZE = re.compile(r"font-size:\s*([0-9]{1,3}(?:\.[0-9]{1,2})?)px")
_registered: list[bool] = []


def _register_font() -> None:
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        # One face serves as bold too (the CID font has no bold; <b> must not look for one).
        from reportlab.lib.fonts import addMapping

        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT, bold, italic, FONT)
        _registered.append(True)


def _px(attrs: dict[str, str | None]) -> float | None:
    found = _FONT_SIZE.search(attrs.get("style") or "")
    return float(found.group(1)) if found else None


def _style(tag: str, px: float, right: bool = False) -> ParagraphStyle:
    size = px * PX_TO_PT
    cell = tag in ("th", "td")
    return ParagraphStyle(f"{tag}-{px}-{right}", fontName=FONT, fontSize=size,
                          leading=size * (1.25 if cell else 1.4), wordWrap="CJK",
                          spaceBefore=size * 0.5 if tag in ("h1", "h2", "h3") else 0,
                          spaceAfter=0 if cell else size * 0.3,
                          alignment=TA_RIGHT if right else 0,
                          leftIndent=12 if tag == "li" else 0)


class _Builder(HTMLParser):
    """HTML (the templates' subset) to reportlab flowables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.story: list[Flowable] = []
        self.meta: dict[str, str] = {}
        self._skip = 0  # depth of the skipped element (its tag nested in itself)
        self._skip_tag: str | None = None
        self._block: dict[str, Any] | None = None
        self._closers: list[str] = []
        self._table: list[list[Paragraph]] | None = None
        self._row: list[Paragraph] | None = None
        self._header_rows = 0
        self._row_all_th = False

    # -- parser callbacks ----------------------------------------------------------------------
    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attr_list)
        if tag == "meta" and attrs.get("name"):
            self.meta[str(attrs["name"])] = attrs.get("content") or ""
            return
        if not self._skip and tag in VOID and attrs.get("data-pdf") == "skip":
            return  # no end tag follows: nothing to skip but itself
        if self._skip or tag in SKIPPED or attrs.get("data-pdf") == "skip":
            self._skip += tag == (self._skip_tag or tag)
            self._skip_tag = self._skip_tag or tag
            return
        if tag in BLOCKS or tag in ("th", "td"):
            self._end_block()
            classes = (attrs.get("class") or "").split()
            self._block = {"tag": tag, "px": _px(attrs) or BLOCK_PX[tag], "parts": [],
                           "right": "num" in classes}
            if tag == "li":
                self._block["parts"].append("· ")
        elif tag == "table":
            self._end_block()
            self._table, self._header_rows = [], 0
        elif tag == "tr":
            self._row, self._row_all_th = [], True
        elif tag == "br":
            self._text_part("<br/>")
        elif tag == "hr":
            self._end_block()
            self.story.append(Spacer(1, 4 * mm))
        elif tag in INLINE:
            self._open_inline(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skip -= tag == self._skip_tag
            self._skip_tag = self._skip_tag if self._skip else None
            return
        if tag in INLINE and self._closers:
            self._text_part(self._closers.pop())
        elif tag in BLOCKS or tag in ("th", "td"):
            self._end_block()
        elif tag == "tr" and self._table is not None and self._row is not None:
            # The header: the leading rows of th cells only (repeated on a new page).
            if self._row_all_th and self._header_rows == len(self._table):
                self._header_rows += 1
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._end_table()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        text = re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", "", data))
        if text.strip() or self._block is not None:
            self._text_part(escape(text, quote=False))

    def finish(self) -> None:
        """End a block or table left open at the end of the document."""
        self._end_block()
        if self._table is not None:
            self._end_table()

    # -- building ------------------------------------------------------------------------------
    def _open_inline(self, tag: str, attrs: dict[str, str | None]) -> None:
        opening, closing = "", ""
        if tag in ("strong", "b"):
            opening, closing = "<b>", "</b>"
        px = _px(attrs)
        if px is not None:
            opening += f'<font size="{px * PX_TO_PT:.2f}">'
            closing = "</font>" + closing
        self._text_part(opening)
        self._closers.append(closing)

    def _text_part(self, markup: str) -> None:
        if self._block is None:
            self._block = {"tag": "p", "px": BLOCK_PX["p"], "parts": [], "right": False}
        self._block["parts"].append(markup)

    def _end_block(self) -> None:
        block, self._block = self._block, None
        if block is None:
            return
        markup = "".join(block["parts"]).strip()
        para = Paragraph(markup, _style(block["tag"], block["px"], block["right"]))
        if block["tag"] in ("th", "td") and self._row is not None:
            self._row.append(para)
            self._row_all_th = self._row_all_th and block["tag"] == "th"
        elif markup:
            self.story.append(para)

    def _end_table(self) -> None:
        rows, self._table = self._table or [], None
        if not rows:
            return
        width = max(len(r) for r in rows)
        data = [r + [Paragraph("", _style("td", BLOCK_PX["td"]))] * (width - len(r))
                for r in rows]
        table = Table(data, repeatRows=self._header_rows, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            *([("BACKGROUND", (0, 0), (-1, self._header_rows - 1), colors.whitesmoke)]
              if self._header_rows else []),
        ]))
        self.story.append(table)
        self.story.append(Spacer(1, 3 * mm))


def html_to_pdf(html: str) -> bytes:
    """The document ``html`` as an A4 PDF (bytes starting ``%PDF``)."""
    _register_font()
    builder = _Builder()
    builder.feed(html)
    builder.close()
    builder.finish()
    footer = builder.meta.get("pdf-footer", "")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=14 * mm, bottomMargin=15 * mm, invariant=True,
                            title=builder.meta.get("pdf-title", ""), author="lendcore",
                            creator="lendcore")

    def on_page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(18 * mm, 8 * mm, f"{footer}  第 {document.page} 页")
        canvas.restoreState()

    doc.build(builder.story or [Spacer(1, 1)], onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
