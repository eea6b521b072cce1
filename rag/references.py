"""How a passage is named to a reader, alike in the CLI's plain output and the UI: its
reference (``<title>, <date>, ¶N``) and the facts about its document it carries (date, place,
source; the section it stands under)."""

from __future__ import annotations


def paragraph_number(passage_id: str) -> str:
    """N of a passage ID ``<doc_id>#pN``; "?" for an ID of another form."""
    return passage_id.rsplit("#p", 1)[-1] if "#p" in passage_id else "?"


def reference(p: dict) -> str:
    """The copyable reference string: ``<title>, <date>, ¶N`` (the file name for an untitled document)."""
    return f"{p.get('title') or p.get('doc', '')}, {p.get('date') or 'n.d.'}, ¶{paragraph_number(p['id'])}"


def known_facts(p: dict, *, section: bool = False) -> list[str]:
    """The date, place and source a passage or document has (and its section, when asked), in that order."""
    keys = ("date", "place", "source", "section") if section else ("date", "place", "source")
    return [str(p[k]) for k in keys if p.get(k)]
