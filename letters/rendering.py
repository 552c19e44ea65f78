"""Rendering letters to PDF with WeasyPrint (placeholder until the letter layout lands)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    page_count: int


def render_letter_pdf(letter) -> RenderedPdf:
    raise NotImplementedError
