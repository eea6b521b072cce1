"""HTML for the chat UI: answers, sources, citation views and the document reader.

Everything that comes from documents or users (titles, file names, passage text, answers,
IDs) is untrusted: it is HTML-escaped here, and the characters Markdown would act on are
turned into entities, so neither tags nor `[text](javascript:…)` links can come alive in the
chat. Only the markup this module writes itself (marker links, highlights) is live.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from rag.display import plain
from rag.messages import note_keys
from rag.references import known_facts, paragraph_number, reference

# HTML's special characters and Markdown's active ones, each to a character reference, in one
# pass: escaping HTML first and Markdown after turned the "#" of "&#x27;" into "&#35;", so every
# apostrophe showed as "&#x27;" on the page
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                          **{c: f"&#{ord(c)};" for c in "[]()*_`#|!~\\"}})
_MARKER = re.compile(r"\[(\d+)\]")


def esc(text: object) -> str:
    """Escape for HTML and neutralise Markdown syntax; control and bidi characters dropped."""
    return plain(text).translate(_ESCAPES)


def cite_url(passage_id: str) -> str:
    return "?cite=" + quote(passage_id, safe="")


def answer_html(answer: str, citations: list[dict]) -> str:
    """The answer text, escaped, with its [n] markers as links to the cited passages."""
    by_n = {c["n"]: c["id"] for c in citations}
    out, last = [], 0
    for m in _MARKER.finditer(answer):
        out.append(esc(answer[last:m.start()]))
        n = int(m.group(1))
        if n in by_n:
            out.append(f'<a class="cite-marker" href="{cite_url(by_n[n])}" target="_blank" '
                       f'title="{esc(by_n[n])}">&#91;{n}&#93;</a>')
        else:
            out.append(esc(m.group(0)))
        last = m.end()
    out.append(esc(answer[last:]))
    return "".join(out)


def draft_html(text: str, labels: dict[str, str]) -> str:
    """The model's text as it streams, under a note that it is a draft: sentences the checks drop
    and a draft they reject are on screen until the checked answer replaces them."""
    return f'<div class="note draft">{esc(labels["draft"])}</div>{esc(text)}'


def reading_note(result: dict, labels: dict[str, str]) -> str:
    """A visible line giving the phrasing a follow-up was answered as, when it is not the words
    typed (``rag/chat.py``): the reader can tell which question the answer is to."""
    read_as = result.get("standalone_question") or ""
    if not read_as or read_as == result.get("question"):
        return ""
    return f'<div class="note read-as">{esc(labels["read_as"])}: «{esc(read_as)}»</div>'


def status_note(result: dict, labels: dict[str, str]) -> str:
    """A visible line saying when the app abstained or fell back to quoting; or that the answer
    may not answer the question (the evidence scorer is unsure), and that sentences were dropped."""
    checks = result.get("checks") or {}
    if result.get("abstained"):
        reason = checks.get("abstain_reason") or checks.get("reason") or ""
        return f'<div class="note abstain">{esc(labels["abstained"])}{": " + esc(reason) if reason else ""}</div>'
    if checks.get("fallback"):
        return f'<div class="note fallback">{esc(labels["fallback"])}: {esc(checks["fallback"])}</div>'
    return "".join(f'<div class="note unsure">{esc(labels["unsure"])}</div>' if key == "unsure"
                   else f'<div class="note dropped">{esc(labels["dropped"])}: {len(checks["dropped"])}</div>'
                   for key in note_keys(result))


def _quoted_sentences(answer: str) -> list[str]:
    return [q.strip() for q in re.findall(r"«([^»]+)»", answer) if q.strip()]


def highlight(text: str, answer: str) -> str:
    """Escaped passage text with the part the answer rests on marked: the quoted sentence, or
    else the sentence sharing most words with the answer."""
    quoted = [q for q in _quoted_sentences(answer) if q in text]
    if quoted:
        i = text.index(quoted[0])
        return f"{esc(text[:i])}<mark>{esc(quoted[0])}</mark>{esc(text[i + len(quoted[0]):])}"
    sentences = [s for s in re.split(r"(?<=[。！？.!?])\s*", text) if s]
    answer_words = set(re.findall(r"\w+", answer.lower()))
    if not sentences or not answer_words:
        return esc(text)
    best = max(sentences, key=lambda s: len(answer_words & set(re.findall(r"\w+", s.lower()))))
    if not answer_words & set(re.findall(r"\w+", best.lower())):
        return esc(text)
    i = text.index(best)
    return f"{esc(text[:i])}<mark>{esc(best)}</mark>{esc(text[i + len(best):])}"


def _meta_line(p: dict) -> str:
    """Date, place, source and (for a passage) the section it stands under, those it has."""
    return " · ".join(esc(x) for x in known_facts(p, section=True))


def source_card(p: dict, *, cited: bool, answer: str, labels: dict[str, str]) -> str:
    marker = f"[{p['n']}] " if cited and "n" in p else ""
    text = highlight(p["text"], answer) if cited else esc(p["text"])
    return (
        f'<div class="source {"cited" if cited else "uncited"}" data-id="{esc(p["id"])}">'
        f'<div class="source-head">{esc(marker)}<b>{esc(p.get("title") or p.get("doc", ""))}</b></div>'
        f'<div class="source-meta">{_meta_line(p)} · <a href="{cite_url(p["id"])}" target="_blank">{esc(p["id"])}</a>'
        f'{"" if cited else " · " + esc(labels["not_cited"])}</div>'
        f'<div class="source-text">{text}</div>{_copies_line(p, labels)}'
        f'<div class="source-ref"><code>{esc(reference(p))}</code></div></div>'
    )


def _copies_line(p: dict, labels: dict[str, str]) -> str:
    """Where else the corpus holds this passage's text (retrieval shows the text once)."""
    links = ", ".join(f'<a href="{cite_url(c["id"])}" target="_blank">{esc(c["id"])}</a>'
                      for c in p.get("copies") or [])
    return f'<div class="source-copies">{esc(labels["copies"])}: {links}</div>' if links else ""


def sources_html(result: dict, labels: dict[str, str], limit: int = 8) -> str:
    """Cited passages first (with highlights), then the other retrieved ones."""
    cited = result.get("citations") or []
    cited_ids = {c["id"] for c in cited}
    answer = result.get("answer", "")
    cards = [source_card(c, cited=True, answer=answer, labels=labels) for c in cited]
    others = [p for p in result.get("passages") or [] if p["id"] not in cited_ids]
    cards += [source_card(p, cited=False, answer=answer, labels=labels) for p in others[: max(0, limit - len(cards))]]
    if not cards:
        return f'<div class="sources empty">{esc(labels["no_sources"])}</div>'
    return '<div class="sources">' + "".join(cards) + "</div>"


def retrieved_html(passages: list[dict], labels: dict[str, str], limit: int = 8) -> str:
    """The retrieved passages, shown as soon as retrieval is done (before the answer)."""
    return sources_html({"passages": passages[:limit]}, labels, limit)


def document_html(doc: dict, highlight_id: str | None = None) -> str:
    """A whole document, every paragraph with its number; ``highlight_id`` marked and scrolled to."""
    head = (f'<div class="doc-head"><h3>{esc(doc.get("title") or doc.get("doc_id", ""))}</h3>'
            f'<div class="source-meta">{_meta_line(doc)} · {esc(doc.get("lang", ""))} · {esc(doc.get("doc_id", ""))}</div></div>')
    rows = []
    section = ""
    for p in doc.get("passages", []):
        if p.get("section") and p["section"] != section:  # a heading, where the paragraphs under it begin
            rows.append(f'<div class="section-head">{esc(p["section"])}</div>')
        section = p.get("section") or section
        hit = p["id"] == highlight_id
        rows.append(
            f'<div class="para{" target" if hit else ""}" id="{esc(p["id"])}">'
            f'<span class="pnum">¶{esc(paragraph_number(p["id"]))}</span> '
            f'{"<mark>" if hit else ""}{esc(p["text"])}{"</mark>" if hit else ""}</div>'
        )
    return f'<div class="document">{head}{"".join(rows)}</div>'


CSS = """
.source { border-left: 3px solid #bbb; padding: 4px 8px; margin: 6px 0; }
.source.cited { border-left-color: #2a7; }
.source-meta, .source-ref, .source-copies { font-size: 0.85em; color: #666; }
.note { font-size: 0.9em; padding: 4px 8px; margin-top: 4px; background: #fff6e0; }
.note.read-as { background: #eef3fb; color: #444; }
.note.draft { background: #f2f2f2; color: #555; font-style: italic; }
.para { padding: 3px 6px; margin: 3px 0; }
.para.target { background: #fff3b0; outline: 2px solid #e0b000; }
.pnum { color: #888; font-size: 0.85em; }
.section-head { font-weight: bold; margin: 10px 0 2px; }
mark { background: #fff3b0; }
"""

# scrolls the highlighted paragraph of the citation view into view whenever it appears
SCROLL_JS = """
() => {
  const seen = new WeakSet();
  new MutationObserver(() => {
    const el = document.querySelector('.para.target');
    if (el && !seen.has(el)) { seen.add(el); el.scrollIntoView({block: 'center'}); }
  }).observe(document.body, {childList: true, subtree: true});
}
"""
