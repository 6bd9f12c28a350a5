"""Text files (.txt, .md), including web pages saved under a .txt name."""

from __future__ import annotations

from ..htmltext import html_to_text, looks_like_html
from ..text import decode, find_source_url
from .extracted import Extracted


def read(data: bytes, suffix: str = ".txt") -> Extracted:
    """Decode any common Chinese encoding; a whole page of markup loses its tags."""
    decoded = decode(data)
    text = html_to_text(decoded.text) if looks_like_html(decoded.text) else decoded.text
    return Extracted(text, decoded.encoding, source_url=find_source_url(decoded.text), replaced=decoded.replaced)
