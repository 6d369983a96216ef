"""How a rejected row's reason quotes a cell of the member file: short, whatever the cell
holds (a reason repeating a 3,000-character cell says nothing more and hides the others)."""

from __future__ import annotations

CELL_CHARS = 60
PATH_CHARS = 160  # organisation paths are long (region/district/school): whole when real


def shown(text: str, limit: int = CELL_CHARS) -> str:
    """The cell whole up to `limit` characters, else its start and «…» (the cut shown)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell(text: str) -> str:
    """The cell as a reason quotes it: 'text', at most about CELL_CHARS characters."""
    return repr(shown(text))
