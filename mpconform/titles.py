"""A property's report title: the whole first sentence of its docstring.

The report lists a property by this sentence, so it must be the complete sentence (a first
*line* cut a long one mid-clause) and short enough to read in a matrix row. The docstring
convention that makes this work: the first paragraph is exactly one sentence, ending with a
full stop; why and how follow in later paragraphs.
"""

from __future__ import annotations

import re

#: Longest title a matrix row shows without becoming a paragraph of its own.
LIMIT = 170
# A sentence ends at . ! or ? followed by whitespace and a capital letter ("e.g. a" does not).
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")
_ENDINGS = (".", "!", "?")


def first_paragraph(doc: str | None) -> str:
    """The docstring's first paragraph as one line of text."""
    paragraph = (doc or "").strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def title(doc: str | None, fallback: str) -> str:
    """The first sentence of ``doc`` (the whole first paragraph by convention), else
    ``fallback``."""
    paragraph = first_paragraph(doc)
    if not paragraph:
        return fallback
    end = _SENTENCE_END.search(paragraph)
    return paragraph[: end.start() + 1] if end else paragraph


def problems(doc: str | None) -> list[str]:
    """What keeps ``doc``'s first paragraph from being a title, as phrases; empty when fine."""
    paragraph = first_paragraph(doc)
    if not paragraph:
        return ["no docstring"]
    found = []
    if _SENTENCE_END.search(paragraph):
        found.append("the first paragraph has more than one sentence")
    if not paragraph.endswith(_ENDINGS):
        found.append("the first paragraph does not end with a full stop")
    if len(paragraph) > LIMIT:
        found.append(f"{len(paragraph)} characters, more than the {LIMIT} a title may have")
    return found
