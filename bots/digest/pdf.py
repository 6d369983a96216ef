"""The digest as a PDF (fpdf2) with Cyrillic set in DejaVu Sans, the TrueType font that
ships inside matplotlib (nothing is downloaded): a title page, the contents, each staff
member's reports with their photos embedded and other files named, the campaigns with a
reach table and each one's chart (bots.report_view.write_chart), the polls with their
results. Page numbers in the footer from page 2."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bots.digest import texts
from bots.report_view import write_chart
from core.digest.content import CampaignLine, MonthContent
from core.digest.reports import Report
from core.polls.results import PollResults
from core.sending.split import shortened

FONT = "DejaVu"
BLUE = (47, 109, 181)
PHOTO_W = 120  # mm: a photo's width on an A4 page with 20 mm margins
Files = Callable[[int], bytes]  # media id -> the file's bytes


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class DigestPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        folder = _font_dir()
        self.add_font(FONT, "", str(folder / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(folder / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(folder / "DejaVuSans-Oblique.ttf"))

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-14)
        self.set_font(FONT, "", 9)
        self.set_text_color(120)
        self.cell(0, 8, texts.PAGE.format(page=self.page_no()), align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 16, section: bool = True) -> None:
        if section:
            self.start_section(text)
        self.set_font(FONT, "B", size)
        self.set_text_color(*BLUE)
        self.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(3)

    def para(self, text: str, size: int = 11, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, size * 0.52, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)


def render(content: MonthContent, path: Path, files: Files, tz: ZoneInfo,
           now: datetime) -> Path:
    """Write the digest of `content` to `path`."""
    pdf = DigestPDF()
    pdf.set_title(f"{texts.TITLE} — {content.month.words}")
    pdf.set_lang("ru")
    _title_page(pdf, content, now.astimezone(tz))
    pdf.add_page()
    pdf.insert_toc_placeholder(_contents, pages=1)  # ends with a page break of its own
    _reports(pdf, content, files, tz)
    pdf.add_page()
    _campaigns(pdf, content, tz)
    pdf.add_page()
    _polls(pdf, content)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _title_page(pdf: DigestPDF, content: MonthContent, now: datetime) -> None:
    pdf.add_page()
    pdf.set_y(80)
    pdf.set_font(FONT, "B", 30)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 14, texts.TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(6)
    pdf.set_font(FONT, "", 16)
    pdf.multi_cell(0, 9, texts.SUBTITLE.format(month=content.month.words), align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if content.union:
        pdf.ln(20)
        pdf.set_font(FONT, "B", 14)
        pdf.multi_cell(0, 8, content.union, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(-40)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 8, texts.COMPILED.format(date=f"{now:%d.%m.%Y}"), align="C")


def _contents(pdf: Any, outline: list[Any]) -> None:
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*BLUE)
    pdf.cell(0, 12, texts.CONTENTS, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(4)
    for section in outline:
        pdf.set_font(FONT, "B" if section.level == 0 else "", 12 if section.level == 0 else 11)
        indent = 8 * section.level
        pdf.set_x(pdf.l_margin + indent)
        width = pdf.epw - indent - 15
        pdf.cell(width, 8, _fit(pdf, section.name, width - 2),
                 link=pdf.add_link(page=section.page_number))
        pdf.cell(15, 8, str(section.page_number), align="R", new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)


def _fit(pdf: Any, text: str, width: float) -> str:
    """`text` cut at a word (with …) to fit `width` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rsplit(" ", 1)[0].rstrip(",;:—- ") + "…"


def _reports(pdf: DigestPDF, content: MonthContent, files: Files, tz: ZoneInfo) -> None:
    pdf.heading(texts.REPORTS, 20)
    if not content.reports:
        pdf.para(texts.NO_REPORTS, style="I")
    for author in content.authors:
        pdf.start_section(author, level=1)
        pdf.heading(author, 14, section=False)
        for report in (r for r in content.reports if r.author == author):
            _report(pdf, report, files, tz)
            pdf.ln(2)
        pdf.ln(4)


def _report(pdf: DigestPDF, report: Report, files: Files, tz: ZoneInfo) -> None:
    pdf.set_text_color(110)
    pdf.para(texts.REPORT_DATE.format(date=f"{report.created_at.astimezone(tz):%d.%m.%Y}"), 9)
    pdf.set_text_color(0)
    for paragraph in (p.strip() for p in report.text.split("\n\n")):
        if paragraph:
            pdf.para(paragraph)
    others = []
    for attachment in report.attachments:
        if not (attachment.is_image and _photo(pdf, files(attachment.media_id))):
            others.append(attachment.filename)
    if others:
        pdf.para(texts.FILES.format(names=", ".join(others)), 10, "I")


def _photo(pdf: DigestPDF, content: bytes) -> bool:
    """Embed a photo (scaled to PHOTO_W, on a new page if it does not fit); False when the
    bytes are no picture."""
    from PIL import Image, UnidentifiedImageError

    try:
        width, height = Image.open(io.BytesIO(content)).size
    except (UnidentifiedImageError, OSError):
        return False
    shown = PHOTO_W * height / width
    if pdf.get_y() + shown > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.image(io.BytesIO(content), x=pdf.l_margin, w=PHOTO_W)
    pdf.ln(4)
    return True


def _campaigns(pdf: DigestPDF, content: MonthContent, tz: ZoneInfo) -> None:
    pdf.heading(texts.CAMPAIGNS, 20)
    if not content.campaigns:
        pdf.para(texts.NO_CAMPAIGNS, style="I")
        return
    pdf.set_font(FONT, "", 10)
    with pdf.table(col_widths=(80, 24, 24, 20, 22), text_align=("LEFT", "CENTER", "RIGHT",
                                                                "RIGHT", "RIGHT"),
                   headings_style=_bold(), line_height=6) as table:
        table.row(texts.CAMPAIGN_COLUMNS)
        for line in content.campaigns:
            table.row(_campaign_row(line, tz))
    pdf.ln(6)
    with tempfile.TemporaryDirectory(prefix="rupor-digest-") as folder:
        for line in content.campaigns:
            if line.reach is not None and line.reach.districts:
                _chart(pdf, line, Path(folder))


def _bold() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", fill_color=(225, 234, 246))


def _campaign_row(line: CampaignLine, tz: ZoneInfo) -> tuple[str, ...]:
    date = f"{line.created_at.astimezone(tz):%d.%m.%Y}"
    name = f"№{line.campaign_id} {line.title}"
    if line.reach is None:
        return (name, date, "—", texts.NOT_SENT, "—")
    total = line.reach.total
    return (name, date, str(total.counts["targeted"]), str(total.reached),
            f"{100 * total.share:.0f} %")


def _chart(pdf: DigestPDF, line: CampaignLine, folder: Path) -> None:
    assert line.reach is not None
    chart = write_chart(line.reach, folder / f"reach-{line.campaign_id}.png")
    from PIL import Image

    width, height = Image.open(chart).size
    shown = pdf.epw * height / width
    if pdf.get_y() + shown + 10 > pdf.h - pdf.b_margin:
        pdf.add_page()
    chart_title = texts.CAMPAIGN_CHART.format(id=line.campaign_id, title=line.title)
    pdf.start_section(shortened(chart_title, 80), level=1)
    pdf.image(str(chart), x=pdf.l_margin, w=pdf.epw)
    pdf.ln(6)


def _polls(pdf: DigestPDF, content: MonthContent) -> None:
    pdf.heading(texts.POLLS, 20)
    if not content.polls:
        pdf.para(texts.NO_POLLS, style="I")
    for results in content.polls:
        _poll(pdf, results)


def _poll(pdf: DigestPDF, results: PollResults) -> None:
    head = texts.POLL_HEAD.format(id=results.poll_id, question=results.question)
    pdf.start_section(shortened(head, 80), level=1)
    pdf.heading(head, 13, section=False)
    pdf.set_font(FONT, "", 10)
    with pdf.table(col_widths=(110, 30, 30), text_align=("LEFT", "RIGHT", "RIGHT"),
                   headings_style=_bold(), line_height=6) as table:
        table.row(texts.POLL_COLUMNS)
        for option, count in zip(results.options, results.counts, strict=True):
            table.row((option, str(count), _share(count, results.voters)))
    pdf.ln(3)
    pdf.para(texts.POLL_TURNOUT.format(voters=results.voters, reached=results.reached,
                                       share=_share(results.voters, results.reached)), 10)
    pdf.ln(4)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"
