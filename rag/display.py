"""Document text made harmless to show: control characters and bidirectional overrides.

Documents come from outside. Their text may carry terminal control sequences (ESC, BEL, a
carriage return, other C0/C1 controls) that a terminal acts on instead of showing, and
bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069 and the marks) that
reorder the text after them, so that what is shown is not what is written. ``plain`` drops
both, keeping newlines and tabs: the CLI's plain output and the UI pass document text through
it. (``--json`` output escapes controls itself and is for programs, which read code points.)
"""

from __future__ import annotations

_DROPPED = {c: None for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0),
                              0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def plain(text: object) -> str:
    """``text`` without control characters (newlines and tabs kept) or bidi controls."""
    return str(text).translate(_DROPPED)
