"""Document text shown on a terminal or a page: control and bidi characters cannot act."""

from __future__ import annotations

import argparse

from rag import cli
from rag.display import plain
from ui.render import esc

HOSTILE = "Treaty\x1b[2J\x1b]0;owned\x07 signed\r on \u202e2025-11-27\u202c\u2066 in Tokyo\u2069.\n\tNext\x9b line\x00"


def test_plain_drops_controls_and_bidi_and_keeps_the_text():
    shown = plain(HOSTILE)
    assert shown == "Treaty[2J]0;owned signed on 2025-11-27 in Tokyo.\n\tNext line"
    assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) < 0xA0 or 0x2066 <= ord(c) <= 0x2069
                   or 0x202A <= ord(c) <= 0x202E for c in shown)
    assert plain("日本語とРусский, zero\u200bwidth") == "日本語とРусский, zero\u200bwidth"  # nothing else touched


def test_the_page_escapes_and_drops_them_too():
    shown = esc("<b>" + HOSTILE)
    assert "<b>" not in shown and "\x1b" not in shown and "\u202e" not in shown and "&lt;b&gt;" in shown


def test_rag_cite_plain_output_carries_no_control_characters(monkeypatch, capsys):
    from rag import service

    passage = {"id": "doc#p1", "text": HOSTILE, "section": "Sec\x1btion", "start": 0, "end": len(HOSTILE),
               "document": {"title": "Ti\u202etle", "date": "2025-11-27", "place": "", "source": ""},
               "neighbours": [{"id": "doc#p2", "text": "more\x07"}]}
    monkeypatch.setattr(service.RagService, "cite", lambda self, pid: passage)
    assert cli._cmd_cite(argparse.Namespace(id="doc#p1", json=False, llm=None)) == 0
    out = capsys.readouterr().out
    assert "2025-11-27 in Tokyo" in out and "more" in out
    assert not [c for c in out if (ord(c) < 0x20 and c not in "\n\t") or 0x202A <= ord(c) <= 0x2069]


def test_the_page_escapes_each_character_once():
    # an apostrophe is one character reference, not "&#x27;" whose "#" is escaped again
    assert esc("Juma's #1 [x] <i>&") == "Juma&#39;s &#35;1 &#91;x&#93; &lt;i&gt;&amp;"
    import html

    assert html.unescape(esc("Daler Juma's position? (see *note*)")) == "Daler Juma's position? (see *note*)"
