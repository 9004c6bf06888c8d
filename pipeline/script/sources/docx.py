"""Word documents (.docx) → a Document, via python-docx.

Paragraph styles say what each paragraph is: ``Title`` is the title, ``Heading N`` a section
heading, list styles (or Word numbering) list items, ``Quote`` styles block quotes; a paragraph
that is only a short bold phrase is a subheading too. Tables, images and empty paragraphs are not
read. Title and author come from the document's properties when its text has none.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.script.sources.document import Block, Document, Kind, block
from pipeline.script.sources.structure import bold_subheading, refine

_HEADING_STYLE = re.compile(r"heading\s*(\d)", re.I)


def _kind(paragraph: object) -> tuple[Kind, int]:
    """What a Word paragraph is, from its style (and numbering, and bold runs)."""
    style = (getattr(paragraph.style, "name", "") or "").lower()  # type: ignore[attr-defined]
    heading = _HEADING_STYLE.match(style)
    if heading:
        return Kind.HEADING, int(heading[1])
    numbered = getattr(paragraph._p.pPr, "numPr", None) is not None  # type: ignore[attr-defined]
    if "list" in style or numbered:
        return Kind.ITEM, 0
    if "quote" in style:
        return Kind.QUOTE, 0
    runs = [run for run in paragraph.runs if run.text.strip()]  # type: ignore[attr-defined]
    text = paragraph.text.strip()  # type: ignore[attr-defined]
    if runs and all(run.bold for run in runs) and bold_subheading(text):
        return Kind.HEADING, 6
    return Kind.PARAGRAPH, 0


def read_docx(data: bytes, path: Path) -> Document:
    """A Word document as a Document."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise EssaycastError(f"{path} is not a readable Word (.docx) file ({type(exc).__name__})",
                             hint="re-save it from Word as .docx, or save the text as .txt") from None
    title = ""
    blocks: list[Block | None] = []
    for paragraph in document.paragraphs:
        if (paragraph.style.name or "").lower() == "title":
            title = title or " ".join(paragraph.text.split())
            continue
        kind, level = _kind(paragraph)
        blocks.append(block(kind, paragraph.text, level))
    properties = document.core_properties
    notes = ["tables are not read"] if document.tables else []
    return refine(Document(tuple(b for b in blocks if b), title=title or (properties.title or ""),
                           author=properties.author or "", description=properties.subject or "",
                           notes=tuple(notes)))
