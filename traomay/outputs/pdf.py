"""A5 documents in Vietnamese (fpdf2): one font, one layout for every form.

The font is Be Vietnam Pro (OFL), a typeface designed for Vietnamese, from the PyPI
package ``fontpkg-be-vietnam-pro`` (static TrueType files: fpdf2 embeds a subset). If that
package is missing, Debian's DejaVu Sans (``fonts-dejavu-core``) is used. A font that drops
diacritics is never used: without one of the two, making a PDF fails with a clear error.

Device text is untrusted: control characters, escape sequences and bidi overrides are
removed (``safe_text.for_terminal``), long text is cut, and characters the font cannot draw
(a Chinese marketing name) become "?" instead of vanishing silently.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from traomay.core.errors import TraomayError
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal

A5 = (148.0, 210.0)  # mm, portrait
MARGIN = 11.0
FAMILY = "traomay"
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


class PdfError(TraomayError):
    """The PDF could not be made (no Vietnamese font, or the file cannot be written)."""


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path
    italic: Path
    name: str


@functools.lru_cache(maxsize=1)
def font_files() -> FontFiles:
    """Be Vietnam Pro from its package, else DejaVu Sans; PdfError when neither is there."""
    try:
        import fontpkg_be_vietnam_pro as bvp

        files = Path(bvp.ROOT) / "files"
        found = FontFiles(files / "BeVietnamPro-Regular.ttf", files / "BeVietnamPro-SemiBold.ttf",
                          files / "BeVietnamPro-Italic.ttf", "Be Vietnam Pro")
        if all(p.is_file() for p in (found.regular, found.bold, found.italic)):
            return found
    except ImportError:
        pass
    found = FontFiles(_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf",
                      _DEJAVU / "DejaVuSans-Oblique.ttf", "DejaVu Sans")
    if all(p.is_file() for p in (found.regular, found.bold, found.italic)):
        return found
    raise PdfError(Msg("No font with Vietnamese letters was found: reinstall traomay (it "
                       "brings the package fontpkg-be-vietnam-pro)."))


@functools.lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_files().regular), lazy=True) as font:
        return frozenset(font.getBestCmap())


def pdf_text(value: object, max_len: int = 300) -> str:
    """Text safe to put in the PDF: one line, no controls, only characters the font has."""
    text = for_terminal(value, max_len=max_len)
    drawable = _drawable()
    return "".join(ch if ord(ch) in drawable else "?" for ch in text)


class Document:
    """An A5 page in the campaign's style: a header with the campaign and the form's
    number, titled sections, label/value lines, tables, and a signature block."""

    def __init__(self, title: str, subject: str = "", keywords: str = "", *,
                 landscape: bool = False) -> None:
        from fpdf import FPDF

        pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format=A5)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN)
        fonts = font_files()
        pdf.add_font(FAMILY, "", str(fonts.regular))
        pdf.add_font(FAMILY, "B", str(fonts.bold))
        pdf.add_font(FAMILY, "I", str(fonts.italic))
        pdf.set_title(pdf_text(title))
        pdf.set_creator("traomay")
        if subject:
            pdf.set_subject(subject)
        if keywords:
            pdf.set_keywords(keywords)
        pdf.add_page()
        self.pdf = pdf

    @property
    def width(self) -> float:
        return self.pdf.epw

    def font(self, size: float = 8.5, style: str = "") -> None:
        self.pdf.set_font(FAMILY, style, size)

    def header(self, left: Sequence[str], right: Sequence[str]) -> None:
        """Two small blocks side by side: the organiser on the left, the form on the right."""
        pdf = self.pdf
        y = pdf.get_y()
        half = self.width / 2
        self.font(7.5, "B")
        for text in left:
            pdf.set_x(MARGIN)
            pdf.multi_cell(half, 3.6, pdf_text(text), align="C", new_x="LMARGIN", new_y="NEXT")
        end_left = pdf.get_y()
        pdf.set_y(y)
        self.font(7.5, "I")
        for text in right:
            pdf.set_x(MARGIN + half)
            pdf.multi_cell(half, 3.6, pdf_text(text), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(end_left, pdf.get_y()) + 3)

    def title(self, text: str, sub: str = "") -> None:
        self.font(12.5, "B")
        self.pdf.multi_cell(0, 6, pdf_text(text), align="C", new_x="LMARGIN", new_y="NEXT")
        if sub:
            self.font(8, "I")
            self.pdf.multi_cell(0, 4, pdf_text(sub), align="C", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def section(self, text: str) -> None:
        self.pdf.ln(1.2)
        self.font(9, "B")
        self.pdf.multi_cell(0, 4.8, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def line(self, label: str, value: object, *, size: float = 8.5) -> None:
        """"Label: value" on one or more lines (the value may be device text)."""
        pdf = self.pdf
        pdf.set_x(MARGIN)
        self.font(size, "B")
        pdf.write(4.2, pdf_text(label) + ": ")
        self.font(size)
        pdf.write(4.2, pdf_text(value, 400))
        pdf.ln(4.2)

    def para(self, text: str, *, size: float = 8.5, style: str = "") -> None:
        self.font(size, style)
        self.pdf.multi_cell(0, 4.2, pdf_text(text, 2000), align="L", new_x="LMARGIN",
                            new_y="NEXT")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float], *, size: float = 7.5, line_height: float = 3.4,
              padding: float = 0.6) -> None:
        """A table with a bold header; cells wrap; rows never split across pages."""
        self.font(size)
        with self.pdf.table(col_widths=tuple(widths), text_align="LEFT",
                            line_height=line_height, first_row_as_headings=True,
                            padding=padding,
                            headings_style=_heading_style()) as table:
            head = table.row()
            for h in headers:
                head.cell(pdf_text(h))
            for row in rows:
                r = table.row()
                for value in row:
                    r.cell(pdf_text(value, 500))
        self.pdf.ln(1)

    def signatures(self, left: Sequence[str], right: Sequence[str]) -> None:
        """Two signature blocks ("Người tặng" / "Người nhận"), room to sign below."""
        pdf = self.pdf
        pdf.ln(3)
        if pdf.get_y() > pdf.h - MARGIN - 28:
            pdf.add_page()
        y = pdf.get_y()
        half = self.width / 2
        for x, texts in ((MARGIN, left), (MARGIN + half, right)):
            pdf.set_xy(x, y)
            for i, text in enumerate(texts):
                self.font(8.5 if i == 0 else 7.5, "B" if i == 0 else "I")
                pdf.set_x(x)
                pdf.multi_cell(half, 4, pdf_text(text), align="C", new_x="LMARGIN",
                               new_y="NEXT")
        pdf.set_y(pdf.get_y() + 20)

    def qr(self, payload: str, size_mm: float = 26.0, caption: str = "") -> None:
        """A QR code (segno, PNG in memory) at the right of the current line."""
        import segno

        code = segno.make(payload, error="m")
        png = io.BytesIO()
        code.save(png, kind="png", scale=6, border=2)
        png.seek(0)
        pdf = self.pdf
        if pdf.get_y() + size_mm + 8 > pdf.h - MARGIN:
            pdf.add_page()
        x = pdf.w - MARGIN - size_mm
        y = pdf.get_y()
        pdf.image(png, x=x, y=y, w=size_mm, h=size_mm)
        if caption:
            self.font(6.5)
            pdf.set_xy(MARGIN, y + 2)
            pdf.multi_cell(self.width - size_mm - 3, 3.4, pdf_text(caption, 600), align="L",
                           new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + size_mm) + 1)

    def footer_note(self, text: str) -> None:
        self.pdf.ln(1)
        self.font(6.5, "I")
        self.pdf.multi_cell(0, 3.2, pdf_text(text, 1000), align="L", new_x="LMARGIN",
                            new_y="NEXT")

    def save(self, path: Path) -> Path:
        """Write the PDF (whole, through a temporary file). PdfError if it cannot."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fpdf2's notes on subsetting, not for users
                data = bytes(self.pdf.output())
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:
            raise PdfError(Msg("Cannot write {path}: check the folder exists and is writable.",
                               {"path": str(path)}), detail=str(exc)) from None
        return path


def _heading_style():  # type: ignore[no-untyped-def]
    from fpdf.fonts import FontFace

    return FontFace(family=FAMILY, emphasis="BOLD", fill_color=(230, 236, 242))
