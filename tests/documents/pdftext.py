"""Reading the text runs of the PDFs the documents render, with the standard library only.

reportlab writes each page's content as an ASCII85 + Flate stream; the Chinese font
(STSong-Light, UniGB-UCS2-H) takes text as UTF-16BE in PDF literal strings, preceded by the font
size operator ``/F<n> <size> Tf``. :func:`runs` returns ``(size, text)`` in drawing order.
"""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length \d+\s*>>\s*"
                     rb"stream\r?\n(.*?)endstream", re.S)
_OPS = re.compile(rb"/F(\d+) ([0-9.]+) Tf|\(((?:\\.|[^\\)])*)\) Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(0), 8))
            i += 1 + len(octal.group(0))
        else:
            nxt = raw[i + 1:i + 2]
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def streams(pdf: bytes) -> list[bytes]:
    return [zlib.decompress(base64.a85decode(m.group(1).strip(), adobe=True))
            for m in _STREAM.finditer(pdf)]


def page_runs(pdf: bytes) -> list[list[tuple[float, str]]]:
    """Each page's text runs drawn in the Chinese font, with their sizes, in order."""
    name = re.search(rb"/Encoding /UniGB-UCS2-H /Name /(F\d+)", pdf)
    assert name is not None, "the PDF has no Chinese (UniGB-UCS2-H) font"
    cjk_font = name.group(1).decode()
    pages: list[list[tuple[float, str]]] = []
    for content in streams(pdf):
        found: list[tuple[float, str]] = []
        font, size = "", 0.0
        for m in _OPS.finditer(content):
            if m.group(1) is not None:
                font, size = f"F{m.group(1).decode()}", float(m.group(2))
            elif font == cjk_font:
                found.append((size, _unescape(m.group(3)).decode("utf-16-be")))
        pages.append(found)
    return pages


def runs(pdf: bytes) -> list[tuple[float, str]]:
    """Every text run drawn in the Chinese font, with its size, in order."""
    return [run for page in page_runs(pdf) for run in page]


def text(pdf: bytes) -> str:
    return "".join(t for _, t in runs(pdf))
