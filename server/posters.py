"""Printable QR posters of a questionnaire's village links: an A4 PDF (one village a page) and one
village's QR code as a PNG.

Given the texts and links, this module only draws: it runs no query and knows no route. The QR code
is made by `segno` (error correction M, so a poster that is creased or stained still scans); the PDF
by `reportlab` with its built-in CID font STSong-Light for Chinese, which needs no font file on the
server (the PDF viewer supplies a Song typeface). Links are drawn in Helvetica, so they stay plain
text that can be copied or checked.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK = "STSong-Light"
LATIN = "Helvetica"
QR_SIDE = 340.0  # points (12 cm): scans from two metres on a notice board
PNG_SCALE = 12  # pixels per module of the PNG


@dataclass(frozen=True)
class Poster:
    """One village's page."""

    title: str
    village: str
    township: str
    link: str
    contact: str = ""


def qr_code(link: str) -> segno.QRCode:
    return segno.make(link, error="m", micro=False)


def qr_png(link: str) -> bytes:
    """The link's QR code as a PNG, with the four-module quiet zone the standard asks for."""
    out = io.BytesIO()
    qr_code(link).save(out, kind="png", scale=PNG_SCALE, border=4)
    return out.getvalue()


def _fonts() -> None:
    if CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))


def _centred(pdf: canvas.Canvas, text: str, font: str, size: float, y: float, width: float) -> None:
    """One centred line, shrunk to fit the page's width with margins."""
    while size > 8 and pdfmetrics.stringWidth(text, font, size) > width - 80:
        size -= 1
    pdf.setFont(font, size)
    pdf.drawCentredString(width / 2, y, text)


def _draw_qr(pdf: canvas.Canvas, link: str, x: float, y: float, side: float) -> None:
    """The QR code's dark modules as filled rectangles, one per horizontal run (vector: sharp at any size)."""
    rows = [list(row) for row in qr_code(link).matrix_iter(scale=1, border=4)]
    module = side / len(rows)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + side - (r + 1) * module, (c - start) * module, module,
                         stroke=0, fill=1)
            else:
                c += 1


def posters_pdf(posters: Sequence[Poster], title: str) -> bytes:
    """An A4 PDF with one page per village: title, village and township, QR code, link, contact line."""
    _fonts()
    out = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True, pageCompression=1)
    pdf.setTitle(title)
    pdf.setAuthor("村声 cunsheng")
    for poster in posters:
        _centred(pdf, poster.title, CJK, 26, height - 90, width)
        _centred(pdf, f"{poster.township} {poster.village}".strip(), CJK, 22, height - 135, width)
        _centred(pdf, "请用手机扫描下面的二维码填写问卷", CJK, 15, height - 175, width)
        _draw_qr(pdf, poster.link, (width - QR_SIDE) / 2, height - 195 - QR_SIDE, QR_SIDE)
        _centred(pdf, poster.link, LATIN, 12, height - 225 - QR_SIDE, width)
        if poster.contact:
            _centred(pdf, f"联系方式：{poster.contact}", CJK, 14, height - 265 - QR_SIDE, width)
        _centred(pdf, "问卷不填写姓名、身份证号和电话，结果只做统计汇总。", CJK, 12, 70, width)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
