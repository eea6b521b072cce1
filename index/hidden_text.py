"""Text a file holds and its reader never sees, taken out before the file is read: what is not
indexed cannot be quoted, cited or handed to the LLM as the document's word.

An HTML element is hidden by its ``hidden`` attribute (not ``hidden="until-found"``, which a
reader's search opens) or by its own style (``display: none``, ``visibility: hidden`` or
``collapse``, a ``font-size`` or ``opacity`` of 0): a browser shows neither it nor what it holds
(a child set visible again under a hidden parent is left out with it). Style sheets are not
followed: what a class hides, a script may show (a menu, a tab). A DOCX's hidden text is Word's
"Hidden" font effect (``w:vanish``), set on a run or by its character or paragraph style: Word
neither shows nor prints it unless asked to, so a passage citing it would send a reader to a
page where the words are not. A PDF's text that no viewer paints is taken out by
``index.pdf_paint``.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# the parts of a package whose text mammoth reads (the body, notes, comments)
_DOCX_TEXT_PARTS = re.compile(r"word/(document|footnotes|endnotes|comments)\.xml")
# what a run shows: its text, tabs, breaks, symbols, hyphens, and drawings (a text box's words)
_SHOWN = frozenset(f"{_W}{name}" for name in ("t", "tab", "ptab", "br", "cr", "sym", "noBreakHyphen",
                                              "softHyphen", "drawing", "pict", "object"))
_FALSE = frozenset({"0", "false", "off"})


def docx_without_hidden_text(data: bytes) -> tuple[bytes, int]:
    """The DOCX package ``data`` with its hidden runs emptied of what they show (their field
    codes stay, so a field around them still parses), ``data`` itself when nothing is hidden;
    and how many runs were emptied."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        parts = {name: package.read(name) for name in names if _DOCX_TEXT_PARTS.fullmatch(name)}
        styles = package.read("word/styles.xml") if "word/styles.xml" in names else b""
        if b"vanish" not in styles and not any(b"vanish" in xml for xml in parts.values()):
            return data, 0
        hidden = _styles(styles)
        changed, emptied = {}, 0
        for name, xml in parts.items():
            tree = _parse(xml)
            if runs := _empty_hidden_runs(tree, hidden):
                changed[name] = _serialised(tree)
                emptied += runs
        if not changed:
            return data, 0
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as copy:
            for info in package.infolist():
                copy.writestr(info, changed.get(info.filename) or package.read(info.filename))
        return out.getvalue(), emptied


def _parse(xml: bytes):
    from lxml import etree

    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))


def _serialised(tree) -> bytes:
    from lxml import etree

    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def _vanish(properties) -> bool | None:
    """Whether run properties (``w:rPr``) hide the text: None where they do not say."""
    if properties is None or (mark := properties.find(f"{_W}vanish")) is None:
        return None
    return mark.get(f"{_W}val", "true").lower() not in _FALSE


@dataclass
class _Styles:
    """What a package's styles say of hidden text: each style's say (its own run properties', else
    the style it is based on's; None where none says), the document's default, and the default
    paragraph style."""

    says: dict[str, bool | None]
    default: bool = False
    default_paragraph: str | None = None

    def hide(self, run) -> bool:
        """Whether Word hides ``run``: its own properties say, else its character style, else its
        paragraph's style, else the document's default."""
        properties = run.find(f"{_W}rPr")
        mark = properties.find(f"{_W}rStyle") if properties is not None else None
        paragraph = next(run.iterancestors(f"{_W}p"), None)
        style = paragraph.find(f"{_W}pPr/{_W}pStyle") if paragraph is not None else None
        for say in (_vanish(properties), self.says.get(mark.get(f"{_W}val")) if mark is not None else None,
                    self.says.get(style.get(f"{_W}val") if style is not None else self.default_paragraph)):
            if say is not None:
                return say
        return self.default


def _styles(styles: bytes) -> _Styles:
    if not styles:
        return _Styles({})
    tree = _parse(styles)
    own, based_on, default_paragraph = {}, {}, None
    for style in tree.iter(f"{_W}style"):
        style_id = style.get(f"{_W}styleId")
        own[style_id] = _vanish(style.find(f"{_W}rPr"))
        if (parent := style.find(f"{_W}basedOn")) is not None:
            based_on[style_id] = parent.get(f"{_W}val")
        if style.get(f"{_W}type") == "paragraph" and style.get(f"{_W}default") in ("1", "true", "on"):
            default_paragraph = style_id

    def says(style_id: str | None, seen: frozenset = frozenset()) -> bool | None:
        if style_id not in own or style_id in seen:
            return None
        return own[style_id] if own[style_id] is not None else says(based_on.get(style_id), seen | {style_id})

    return _Styles({style_id: says(style_id) for style_id in own},
                   bool(_vanish(tree.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr"))), default_paragraph)


def _empty_hidden_runs(tree, styles: _Styles) -> int:
    """Empty the runs of ``tree`` that Word hides; how many showed something."""
    emptied = 0
    for run in tree.iter(f"{_W}r"):
        if styles.hide(run) and (shown := [child for child in run if child.tag in _SHOWN]):
            for child in shown:
                run.remove(child)
            emptied += 1
    return emptied


_HIDING_STYLE = {"display": {"none"}, "visibility": {"hidden", "collapse"}}
# a size or opacity of nothing: 0, 0px, 0.0, .0em, 0%
_NOTHING = re.compile(r"\+?(0+\.?0*|\.0+)(px|pt|em|rem|ex|ch|vw|vh|%)?")


def html_hidden(tag) -> bool:
    """Whether a browser shows neither the HTML element ``tag`` (a BeautifulSoup tag) nor what it
    holds: by its ``hidden`` attribute or its own ``style`` declarations."""
    if tag.has_attr("hidden") and str(tag.get("hidden")).strip().lower() != "until-found":
        return True
    for declaration in str(tag.get("style") or "").split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.lower().replace("!important", "").strip()
        if value in _HIDING_STYLE.get(name, ()) or name in ("font-size", "opacity") and _NOTHING.fullmatch(value):
            return True
    return False
