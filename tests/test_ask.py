"""End to end on the real stack: retrieval, extractive answers, citations, lookup, abstention."""

from __future__ import annotations

import re

import pytest

from rag.options import AskOptions, CitationNotFound, Filters
from tests.conftest import make_settings

TREATY = {
    "en": "When did the double taxation treaty between Japan and Turkmenistan enter into force?",
    "ja": "日本とトルクメニスタンの二重課税防止条約はいつ発効しましたか？",
    "ru": "Когда вступила в силу конвенция об избежании двойного налогообложения между Японией и Туркменистаном?",
}


@pytest.mark.parametrize("lang", ["en", "ja", "ru"])
def test_treaty_date_is_answered_and_cited_extractively(seed_service, lang):
    result = seed_service.ask(TREATY[lang], AskOptions(llm="none"))
    assert not result["abstained"]
    assert result["lang"] == lang
    assert "2025年11月27日" in result["answer"]
    cited = [seed_service.cite(c["id"])["text"] for c in result["citations"]]
    assert any("2025年11月27日に発効" in text for text in cited)
    # the marker in the answer points at the citation the app resolved
    for c in result["citations"]:
        assert f"[{c['n']}]" in result["answer"]


def test_russian_question_about_the_chair_cites_the_russian_document(seed_service):
    q = "Кто председательствовал на втором министерском диалоге по экономике и энергетике?"
    result = seed_service.ask(q, AskOptions(llm="none"))
    assert "Муто" in result["answer"]
    assert any(c["doc"].startswith("003_") for c in result["citations"])


def test_the_lexical_bonus_lifts_no_japanese_passage_past_a_russian_one(seed_service):
    """Over the seeds (one Japanese, one Russian document on the same talks), a Japanese question
    whose answer is in Russian must not lose the Russian passages to Japanese ones that merely
    share its words: BM25 reorders the Japanese passages among the places dense retrieval gives
    them, and no more (``rag.retrieve.with_bonus_within_language``)."""
    from rag.retrieve import HybridRetriever

    r = seed_service.retriever
    plain = HybridRetriever(r.settings.model_copy(update={"lexical_weight": 0.0}), r.store, r.embedding,
                            r.lexical, r.manifest, r.sentences)
    questions = ["経済・エネルギー対話にトルクメニスタンから参加したのは誰ですか？",
                 "2023年の第1回対話では、どのようなことが合意されましたか？",
                 "カザフスタンのエネルギー大臣はどのような形で対話に参加しましたか？",
                 "日本とトルクメニスタンの直行便について何が合意されましたか？"]
    reordered = 0
    for q in questions:
        hybrid, dense = r.search(q, k=20), plain.search(q, k=20)
        assert [h.passage.lang for h in hybrid] == [h.passage.lang for h in dense], q
        assert all(a.score >= b.score for a, b in zip(hybrid, hybrid[1:])), q
        reordered += [h.passage.id for h in hybrid] != [h.passage.id for h in dense]
    assert reordered  # the bonus still orders the Japanese passages


def test_result_json_shape(seed_service):
    result = seed_service.ask(TREATY["en"], AskOptions(llm="none"))
    for key in ("answer", "abstained", "citations", "passages"):
        assert key in result
    cit = result["citations"][0]
    assert set(cit) >= {"n", "id", "doc", "title", "date", "start", "end", "text"}
    p = result["passages"][0]
    assert set(p) >= {"id", "doc", "title", "date", "start", "end", "text", "score"}
    scores = [p["score"] for p in result["passages"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(("sure_threshold", "unsure"), [(0.0, False), (1.0, True)])
def test_an_answer_below_the_sure_threshold_says_the_sources_may_not_answer(seed_settings, sure_threshold, unsure):
    from rag.messages import message
    from rag.service import RagService

    service = RagService(seed_settings.model_copy(update={"sure_threshold": sure_threshold}))
    result = service.ask(TREATY["en"], AskOptions(llm="none"))
    assert not result["abstained"] and result["unsure"] is unsure
    lead = message("unsure_lead" if unsure else "extractive_lead", "en")
    assert result["answer"].startswith(lead) and "2025年11月27日" in result["answer"]
    assert result["checks"]["answerable_probability"] >= seed_settings.answer_threshold


def test_unrelated_question_abstains(seed_service):
    result = seed_service.ask("What is the boiling point of liquid nitrogen?", AskOptions(llm="none"))
    assert result["abstained"] and result["citations"] == []
    assert result["passages"], "the closest passages are still shown"


def test_cite_returns_paragraph_document_and_neighbours(seed_service, seed_settings):
    result = seed_service.ask(TREATY["en"], AskOptions(llm="none"))
    pid = result["citations"][0]["id"]
    data = seed_service.cite(pid)
    assert data["id"] == pid and data["document"]["title"] and data["neighbours"]
    source = (seed_settings.corpus_dir / data["doc"]).read_text(encoding="utf-8")
    span = source[data["start"]:data["end"]]
    assert "".join(data["text"].split()) == "".join(span.split())


def test_cite_unknown_id_is_a_clear_error(seed_service):
    with pytest.raises(CitationNotFound, match="no passage"):
        seed_service.cite("nope#p999")


def test_filters_restrict_documents_dates_and_language(seed_service):
    q = "Japan Turkmenistan cooperation"
    only_ru = seed_service.search(q, filters=Filters(langs=["ru"]))
    assert only_ru and all(h.passage.lang == "ru" for h in only_ru)
    only_ja_doc = seed_service.search(q, filters=Filters(docs=["000_6f479204fdb56844.txt"]))
    assert only_ja_doc and all(h.passage.doc_id == "000_6f479204fdb56844" for h in only_ja_doc)
    late = seed_service.search(q, filters=Filters(since="2025-10-01"))
    assert late and all(h.passage.date >= "2025-10-01" for h in late)
    assert seed_service.search(q, filters=Filters(until="2000-01-01")) == []


def test_documents_list(seed_service):
    docs = seed_service.documents()
    assert [d["doc"] for d in docs] == ["000_6f479204fdb56844.txt", "003_223ee8f423a3e31d.txt"]
    assert all(d["passages"] > 0 and d["lang"] in ("ja", "ru") for d in docs)


FORUM_REPORT = """The third Nordic Energy Forum was held in Bergen on 3 March 2025, chaired by the energy minister of Norway.

Ministers and senior officials of the five Nordic countries took part, along with representatives of the European Commission.

The participants focused on grid interconnection, offshore wind and the financing of green hydrogen projects.

The ministers also presented their countries' plans for energy efficiency in buildings.

The first forum, held in Turku in 2021, laid the groundwork for regional cooperation. The third forum strengthened these efforts and confirmed the importance of working together.
"""


@pytest.fixture(scope="module")
def forum_service(tmp_path_factory):
    """A document nobody tuned on, indexed with the real stack."""
    from index.ingest import sync
    from rag.service import RagService

    root = tmp_path_factory.mktemp("forum")
    (root / "corpus").mkdir()
    (root / "corpus" / "forum.txt").write_text(FORUM_REPORT, encoding="utf-8")
    settings = make_settings(root)
    sync(settings, progress=False, log=lambda _m: None)
    return RagService(settings)


def test_every_quote_of_an_answer_stands_verbatim_in_the_passage_it_cites(forum_service):
    result = forum_service.ask("What did the participants of the Nordic Energy Forum focus on?")
    assert not result["abstained"], result["checks"]
    assert "grid interconnection" in result["answer"]
    quotes = re.findall(r"«([^»]*)» \[(\d+)\]", result["answer"])
    assert quotes and len(quotes) <= 3
    cited = {c["n"]: forum_service.cite(c["id"])["text"] for c in result["citations"]}
    for quote, n in quotes:
        assert quote in cited[int(n)]
    assert 0.0 <= result["checks"]["answerable_probability"] <= 1.0


def test_a_question_the_document_does_not_touch_is_abstained_on(forum_service):
    result = forum_service.ask("What is the boiling point of liquid nitrogen?")
    assert result["abstained"] and result["citations"] == []


def test_a_document_filed_twice_is_answered_as_if_filed_once(forum_service, tmp_path):
    """Twins are one source carrying its copy: they must not fill the sources, nor read to the
    evidence scorer as a rival passage (which turns answers into refusals)."""
    from index.ingest import sync
    from rag.service import RagService

    (tmp_path / "corpus").mkdir()
    for name in ("forum.txt", "forum (copy).txt"):
        (tmp_path / "corpus" / name).write_text(FORUM_REPORT, encoding="utf-8")
    settings = make_settings(tmp_path)
    sync(settings, progress=False, log=lambda _m: None)
    question = "What did the participants of the Nordic Energy Forum focus on?"
    once, twice = forum_service.ask(question), RagService(settings).ask(question)
    texts = [p["text"] for p in twice["passages"]]
    assert len(texts) == len(set(texts)) == len(once["passages"])
    assert not twice["abstained"] and twice["answer"] == once["answer"]
    assert [c["text"] for c in twice["citations"]] == [c["text"] for c in once["citations"]]
    for cited in twice["citations"]:  # the shorter name leads, naming where else the paragraph is filed
        assert cited["doc"] == "forum.txt" and [c["doc"] for c in cited["copies"]] == ["forum (copy).txt"]
        assert cited["copies"][0]["id"] == f"forum (copy)#{cited['id'].split('#')[1]}"


def test_a_sentence_two_documents_hold_is_quoted_once(tmp_path):
    """A report filed again under a section heading: its paragraphs are evidence of their own (not
    folded), but a sentence it shares with the first filing is one quote, even where any sentence
    of another passage may be quoted (``quote_ratio`` 0)."""
    from index.ingest import sync
    from rag.service import RagService

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "forum.txt").write_text(FORUM_REPORT, encoding="utf-8")
    title, body = FORUM_REPORT.split("\n\n", 1)
    (tmp_path / "corpus" / "forum-copy.md").write_text(f"{title}\n\n## Proceedings\n\n{body}", encoding="utf-8")
    settings = make_settings(tmp_path, quote_ratio=0.0, max_quotes=2)
    sync(settings, progress=False, log=lambda _m: None)
    result = RagService(settings).ask("What did the participants of the Nordic Energy Forum focus on?")
    assert not result["abstained"] and {p["section"] for p in result["passages"][:2]} == {"", "Proceedings"}
    quotes = re.findall(r"«([^»]*)»", result["answer"])
    assert len(quotes) == 2 and len(set(quotes)) == 2, result["answer"]


COMMISSION_PAGE = """<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">
<title>Итоги заседания межправительственной комиссии</title></head><body><article>
<h1>Итоги заседания межправительственной комиссии</h1>
<p>5 октября 2023 года в Ташкенте состоялось пятое заседание межправительственной комиссии по торгово-экономическому сотрудничеству между Россией и Узбекистаном.</p>
<p>Стороны подписали следующие документы:</p>
<ul><li>соглашение о сотрудничестве в области цифровой экономики;</li>
<li>меморандум о строительстве атомной электростанции малой мощности;</li>
<li>программу научно-технического сотрудничества на 2024–2026 годы.</li></ul>
<p>Товарооборот между странами в 2022 году составил 9,3 миллиарда долларов.</p>
</article></body></html>
"""
SIGNED = ("соглашение о сотрудничестве в области цифровой экономики",
          "меморандум о строительстве атомной электростанции малой мощности",
          "программу научно-технического сотрудничества на 2024–2026 годы")


@pytest.mark.parametrize(("evidence_k", "max_list_items"), [(5, 10), (1, 2)])
def test_a_quoted_list_lead_in_brings_its_items_each_cited(tmp_path_factory, evidence_k, max_list_items):
    """"Which documents were signed?" over a page whose answer is a list: the lead-in alone
    ("The sides signed the following documents:") answers nothing. With ``evidence_k`` 1 the
    items are not among the passages read, so they come from the index."""
    from index.ingest import sync
    from rag.service import RagService

    root = tmp_path_factory.getbasetemp() / "commission"
    if not root.exists():
        (root / "corpus").mkdir(parents=True)
        (root / "corpus" / "commission.html").write_text(COMMISSION_PAGE, encoding="utf-8")
        sync(make_settings(root), progress=False, log=lambda _m: None)
    service = RagService(make_settings(root, evidence_k=evidence_k, max_list_items=max_list_items))
    result = service.ask("Какие документы были подписаны на заседании межправительственной комиссии?")
    assert not result["abstained"], result["checks"]
    quotes = re.findall(r"«([^»]*)» \[(\d+)\]", result["answer"])
    assert quotes[0][0] == "Стороны подписали следующие документы:", result["answer"]
    shown = SIGNED[:max_list_items]
    assert [q for q, _ in quotes[1:]] == [f"• {item}{end}" for item, end in zip(shown, (";", ";", "."))]
    cited = {c["n"]: c for c in result["citations"]}
    assert len(cited) == len(quotes)  # each item its own passage, its own citation
    for quote, n in quotes:
        assert quote in service.cite(cited[int(n)]["id"])["text"]
    assert result["answer"].endswith("(список в источнике продолжается)") == (max_list_items < len(SIGNED))


def test_a_quote_in_another_language_is_labelled_with_it(seed_service):
    result = seed_service.ask(TREATY["en"], AskOptions(llm="none"))
    assert "(Japanese)" in result["answer"] or "(Russian)" in result["answer"]


@pytest.mark.parametrize(("lang", "question"), [("en", "What was agreed?"), ("ru", "О чём договорились?")])
def test_an_empty_index_says_so_instead_of_the_corpus_not_answering(tmp_path, lang, question):
    from rag.service import RagService

    result = RagService(make_settings(tmp_path)).ask(question, AskOptions(llm="none"))
    assert result["mode"] == "empty_index" and result["abstained"] and not result["citations"]
    assert result["lang"] == lang and "rag ingest" in result["answer"]
