"""The evidence step: selection by probability, quotes and their labels, splits (pure logic), and
the candidates' features on the seed index (real model, Chroma and BM25)."""

from __future__ import annotations

import numpy as np
import pytest

from eval.evalset import EvalItem, Evidence
from eval.splits import document_half, item_half, select as select_half, withheld, withhold
from index.document import Passage
from rag.evidence import (ANSWER_TYPES, FEATURES, QUESTION_FEATURES, AnswerTypes, Candidate, EvidenceModel,
                          answerable_probability, candidates, fact_kinds, load_model, one_text, question_features,
                          score, select, with_listed_items)
from rag.extractive import own_words, quoted_answer


def cand(n: int, position: int, p: float, sentence: str = "") -> Candidate:
    """A candidate; its sentence by default one of its own (a sentence two passages hold is quoted once)."""
    return Candidate(n=n, position=position, sentence=sentence or f"Sentence {position} of passage {n}.",
                     features=np.zeros(len(FEATURES)), probability=p)


def test_nothing_is_selected_when_the_question_is_unlikely_to_be_answered():
    ranked = [cand(1, 0, 0.9), cand(2, 0, 0.3)]
    assert select(ranked, answerable=0.24, threshold=0.25, ratio=0.6, same_passage_ratio=0.6, max_quotes=3) == []
    assert select(ranked, answerable=0.25, threshold=0.25, ratio=0.6, same_passage_ratio=0.6, max_quotes=3) == [ranked[0]]
    assert select([], answerable=1.0, threshold=0.25, ratio=0.6, same_passage_ratio=0.6, max_quotes=3) == []


def test_further_quotes_need_a_share_of_the_best_probability_and_come_in_reading_order():
    ranked = [cand(2, 1, 0.9), cand(1, 3, 0.7), cand(2, 0, 0.55), cand(3, 0, 0.52)]
    chosen = select(ranked, answerable=0.9, threshold=0.5, ratio=0.6, same_passage_ratio=0.6, max_quotes=3)
    assert [(c.n, c.position) for c in chosen] == [(1, 3), (2, 0), (2, 1)]
    assert len(select(ranked, answerable=0.9, threshold=0.5, ratio=0.6, same_passage_ratio=0.6, max_quotes=1)) == 1
    strict = select(ranked, answerable=0.9, threshold=0.5, ratio=0.95, same_passage_ratio=0.95, max_quotes=3)
    assert [c.probability for c in strict] == [0.9]


def test_the_best_sentences_own_passage_gives_further_quotes_at_a_lower_bar():
    ranked = [cand(2, 3, 0.8), cand(1, 0, 0.5), cand(2, 4, 0.3), cand(2, 0, 0.2), cand(3, 1, 0.2)]
    chosen = select(ranked, answerable=0.9, threshold=0.5, ratio=0.8, same_passage_ratio=0.3, max_quotes=3)
    assert [(c.n, c.position) for c in chosen] == [(2, 3), (2, 4)]  # 0.5 from passage 1 is below 0.8 x 0.8
    chosen = select(ranked, answerable=0.9, threshold=0.5, ratio=0.6, same_passage_ratio=0.25, max_quotes=3)
    assert [(c.n, c.position) for c in chosen] == [(1, 0), (2, 3), (2, 4)]  # at most three, most probable first


def test_a_sentence_two_passages_hold_is_quoted_once_and_the_next_takes_its_place():
    said = "The ministers met in Bergen."
    ranked = [cand(1, 0, 0.9, said), cand(2, 0, 0.9, "The ministers  met in\nBergen."), cand(3, 1, 0.8, "They agreed.")]
    chosen = select(ranked, answerable=0.9, threshold=0.5, ratio=0.6, same_passage_ratio=0.6, max_quotes=2)
    assert [(c.n, c.sentence) for c in chosen] == [(1, said), (3, "They agreed.")]


def _passage(pid: str, n: int, start: int, text: str, lead: str = "", doc_id: str = "d") -> Passage:
    return Passage(id=pid, doc_id=doc_id, doc=f"{doc_id}.txt", n=n, text=text, start=start, end=start + len(text),
                   lead=lead)


def test_a_list_and_its_lead_in_are_one_text():
    intro = _passage("d#p6", 6, 100, "The sides met. They stressed the contracts in the chemical industry:")
    lead = "They stressed the contracts in the chemical industry:"
    first, second = (_passage("d#p7", 7, 200, "A plant contract.", lead), _passage("d#p8", 8, 300, "A gas contract.", lead))
    elsewhere = _passage("e#p7", 7, 200, "A plant contract.", lead, doc_id="e")
    other_list = _passage("d#p9", 9, 400, "Minister X.", "The meeting brought together:")
    assert one_text(first, second) and one_text(intro, first) and one_text(second, intro)
    assert not one_text(intro, other_list) and not one_text(first, other_list) and not one_text(first, elsewhere)
    assert not one_text(intro, _passage("d#p10", 10, 500, "Plain paragraph."))
    assert one_text(_passage("d#p11.1", 11, 600, "A long paragraph's first piece."),
                    _passage("d#p11.2", 11, 1800, "Its second piece."))


def test_a_list_items_lead_in_is_quoted_at_the_own_passage_bar_in_reading_order():
    lead = "They stressed the contracts in the chemical industry:"
    passages = [_passage("d#p7", 7, 200, "A plant contract.", lead), _passage("d#p3", 3, 50, "Unrelated."),
                _passage("d#p6", 6, 100, f"The sides met. {lead}")]
    ranked = [cand(1, 0, 0.44), cand(3, 1, 0.22), cand(2, 0, 0.2)]
    chosen = select(ranked, answerable=0.9, threshold=0.25, ratio=0.8, same_passage_ratio=0.3, max_quotes=3,
                    passages=passages)
    assert [(c.n, c.position) for c in chosen] == [(3, 1), (1, 0)]  # the lead-in first, as the document reads
    alone = select(ranked, answerable=0.9, threshold=0.25, ratio=0.8, same_passage_ratio=0.3, max_quotes=3)
    assert [(c.n, c.position) for c in alone] == [(1, 0)]  # without passages nothing says they are one text


def test_a_quoted_lead_in_brings_its_lists_items_each_cited_in_reading_order():
    lead = "The sides signed the following documents:"
    intro = _passage("d#p2", 2, 50, f"The commission met in Tashkent. {lead}")
    items = [_passage(f"d#p{n}", n, 100 * n, f"Document {n};", lead) for n in (3, 4, 5)]
    asked = []

    def items_of(passage, k):
        asked.append((passage.id, k))
        return items[:k] if passage is intro else []

    passages = [intro, items[1], _passage("e#p1", 1, 0, "Unrelated.", doc_id="e")]
    chosen = [cand(1, 1, 0.7, lead)]  # the lead-in alone: its items scored under the bar
    out, numbered, cut = with_listed_items(chosen, passages, items_of, limit=10)
    assert asked == [("d#p2", 11)] and not cut
    assert numbered[:3] == passages and numbered[3:] == [items[0], items[2]]  # items not in context appended
    assert [(numbered[c.n - 1].id, c.sentence) for c in out] == [
        ("d#p2", lead), ("d#p3", "Document 3;"), ("d#p4", "Document 4;"), ("d#p5", "Document 5;")]
    answer = quoted_answer(out, numbered, "en")["answer"]
    assert answer == ("From the sources: «The sides signed the following documents:» [1] «Document 3;» [2] "
                      "«Document 4;» [3] «Document 5;» [4]")

    out, numbered, cut = with_listed_items(chosen, passages, items_of, limit=2)
    assert cut and [numbered[c.n - 1].id for c in out] == ["d#p2", "d#p3", "d#p4"]
    answer = quoted_answer(out, numbered, "en", list_cut=cut)["answer"]
    assert answer.endswith("«Document 4;» [3] (the list goes on in the source)") and own_words(answer) == ""

    # an item already quoted is not quoted twice; a sentence that leads in no list brings nothing
    both = [cand(1, 1, 0.7, lead), cand(2, 0, 0.3, "Document 4;")]
    out, numbered, _ = with_listed_items(both, passages, items_of, limit=10)
    assert [numbered[c.n - 1].id for c in out] == ["d#p2", "d#p3", "d#p4", "d#p5"]
    plain = [cand(1, 0, 0.7, "The commission met in Tashkent.")]
    asked.clear()
    assert with_listed_items(plain, passages, items_of, limit=10) == (plain, passages, False) and asked == []
    other = [cand(3, 0, 0.7, "Unrelated:")]  # ends with a colon, but no list of its own follows
    assert with_listed_items(other, passages, items_of, limit=10)[0] == other


def test_score_orders_by_the_models_probability():
    model = EvidenceModel(mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)),
                          coef=np.eye(len(FEATURES))[0] * 4.0, intercept=-2.0)  # only sentence_sim counts
    low, high = cand(1, 0, 0.0), cand(1, 1, 0.0)
    low.features[0], high.features[0] = 0.2, 0.9
    ranked = score([low, high], model)
    assert ranked[0] is high and ranked[0].probability > 0.5 > ranked[1].probability


def test_the_question_scorer_reads_the_best_candidates():
    ranked = [cand(1, 0, 0.8), cand(2, 0, 0.4)]
    ranked[0].features[FEATURES.index("claims_missing")] = 0.5
    ranked[1].features[FEATURES.index("passage_margin")] = -0.3
    x = question_features(ranked)
    assert x.shape == (len(QUESTION_FEATURES),)
    named = dict(zip(QUESTION_FEATURES, x))
    assert named["best_probability"] == 0.8 and named["second_probability"] == 0.4
    assert named["passage_gap"] == pytest.approx(0.3) and named["claims_missing"] == 0.5
    model = EvidenceModel(mean=np.zeros(len(QUESTION_FEATURES)), scale=np.ones(len(QUESTION_FEATURES)),
                          coef=-np.eye(len(QUESTION_FEATURES))[QUESTION_FEATURES.index("claims_missing")] * 4,
                          intercept=1.0)
    assert answerable_probability(ranked, model) < 0.5 < answerable_probability([cand(1, 0, 0.8)], model)
    assert answerable_probability([], model) == 0.0


def test_the_shipped_models_match_the_features():
    scorers = load_model()
    assert scorers.sentence.coef.shape == (len(FEATURES),)
    assert scorers.question.coef.shape == (len(QUESTION_FEATURES),)
    assert np.all(scorers.sentence.scale > 0) and np.all(scorers.question.scale > 0)
    assert scorers.types.coef.shape[0] == len(ANSWER_TYPES) == len(scorers.types.intercept)


def test_fact_kinds_are_the_dates_and_numbers_a_text_states_beyond_the_question():
    assert fact_kinds("The treaty entered into force on 27 November 2025.").tolist() == [1.0, 0.0]
    assert fact_kinds("Контракт стоит 2,5 млрд долларов.").tolist() == [0.0, 1.0]
    assert fact_kinds("総額25億円規模の支援を表明した。").tolist() == [0.0, 1.0]
    assert fact_kinds("双方は直行便就航に向けた活動を推進することで一致した。").tolist() == [0.0, 0.0]
    # what the question already says is not new: the 2023 dialogue's sentence states no other date
    assert fact_kinds("The first dialogue was held in 2023.", "Where was the 2023 dialogue held?").tolist() == [0.0, 0.0]
    assert fact_kinds("本年8月5日に開催された。", ref_date="2025-12-20").tolist() == [1.0, 0.0]


def test_answer_types_read_the_question_not_its_language(seed_service):
    """The shipped answer-type model, on the real embeddings of questions it was not fitted on:
    "when" asks for a date, "how much" for a number, "who" for neither, in any language."""
    types, embed = load_model().types, seed_service.retriever.embedding.get_query_embedding
    date, number = ANSWER_TYPES.index("date"), ANSWER_TYPES.index("number")
    asked = {q: types.probabilities(np.asarray(embed(q))) for q in (
        "When did the museum open to visitors?", "Когда открылся музей для посетителей?", "博物館はいつ開館しましたか？",
        "How many visitors did the museum have last year?", "Сколько посетителей было у музея в прошлом году?",
        "Who designed the museum building?", "Кто спроектировал здание музея?", "博物館の建物を設計したのは誰ですか？")}
    when, how_many, who = list(asked.values())[:3], list(asked.values())[3:5], list(asked.values())[5:]
    assert min(p[date] for p in when) > 0.4 > max(p[date] for p in how_many + who)
    assert min(p[number] for p in how_many) > 0.4 > max(p[number] for p in when + who)
    assert not AnswerTypes(types.coef, types.intercept).probabilities(np.ones(3)).any()  # another model's size
    # the floors fitted with it: "who" asks for neither kind, "when" and "how many" for theirs
    unasked = {q: types.read(np.asarray(embed(q)))[1] for q in asked}
    assert all(unasked[q] == {"date", "number"} for q in list(asked)[5:])
    assert not any("date" in unasked[q] for q in list(asked)[:3])
    assert not any("number" in unasked[q] for q in list(asked)[3:5])
    assert not AnswerTypes(types.coef, types.intercept).read(np.asarray(embed("Who?")))[1]  # no floors: nothing
    assert AnswerTypes.from_dict(types.as_dict()).floor.tolist() == types.floor.tolist()


class CountingEmbedding:
    """The real embedding model, counting the sentences embedded through it."""

    def __init__(self, real):
        self.real, self.texts = real, []

    def embed_sentences(self, pairs):
        self.texts += [s for _, s in pairs]
        return self.real.embed_sentences(pairs)

    def embed_alone(self, texts):
        self.texts += texts
        return self.real.embed_alone(texts)


TREATY = "When did the double taxation treaty between Japan and Turkmenistan enter into force?"


def _candidates(service, passages: int, stored):
    """The treaty question's candidates over its best ``passages``, with the sentence vectors
    ``stored`` (None: none stored), and what was embedded to make them."""
    retriever = service.retriever
    hits = service.search(TREATY)[:passages]
    qvec = np.asarray(retriever.embedding.get_query_embedding(TREATY))
    embedding = CountingEmbedding(retriever.embedding)
    return candidates(TREATY, qvec, hits, stored, embedding), hits, qvec, embedding.texts


def test_candidate_features_are_what_their_names_say_and_nothing_is_embedded_now(seed_service):
    retriever = seed_service.retriever
    cands, hits, qvec, embedded = _candidates(seed_service, 5, retriever.sentences)
    col = {name: i for i, name in enumerate(FEATURES)}
    assert len(cands) > 5 and {c.n for c in cands} <= set(range(1, 6))
    assert embedded == []  # both vectors of every sentence were stored at ingest
    sims = np.asarray([c.features[col["sentence_sim"]] for c in cands])
    asked = load_model().types.probabilities(qvec)
    for c in cands:
        f, p = c.features, hits[c.n - 1].passage
        assert f[col["sentence_sim"]] == pytest.approx(float(retriever.sentences.of_passage(p.id)[c.position] @ qvec))
        assert f[col["own_sim"]] == pytest.approx(float(retriever.sentences.own_of_passage(p.id)[c.position] @ qvec))
        assert f[col["sentence_margin"]] == pytest.approx(f[col["sentence_sim"]] - sims.max())
        assert f[col["sentence_rank_inv"]] == pytest.approx(1.0 / (1 + int((sims > f[col["sentence_sim"]]).sum())))
        assert f[col["passage_rank_inv"]] == pytest.approx(1.0 / c.n)
        assert f[col["passage_margin"]] == pytest.approx(hits[c.n - 1].score - hits[0].score)
        assert f[col["same_language"]] == float(p.lang == "en")
        assert f[col["log_length"]] == pytest.approx(np.log(len(c.sentence) + 1))
        assert c.sentence in p.text
        mine = [d.features[col["sentence_sim"]] for d in cands if d.n == c.n]
        assert f[col["best_in_passage"]] == float(f[col["sentence_sim"]] >= max(mine))
        stated = fact_kinds(c.sentence, TREATY, p.date or None)
        assert f[col["type_fit"]] == pytest.approx(np.max(asked * stated))
        assert f[col["type_miss"]] == pytest.approx(np.max(asked * (1 - stated)))
    assert asked[ANSWER_TYPES.index("date")] > 0.4  # "when did … enter into force?"
    assert max(c.features[col["type_fit"]] for c in cands) > 0.4  # the sentence giving the date states it


def test_sentences_without_stored_vectors_are_embedded_when_asked(seed_service):
    cands, _, qvec, embedded = _candidates(seed_service, 2, None)
    assert sorted(embedded) == sorted([c.sentence for c in cands] * 2)  # each titled and alone
    col = {name: i for i, name in enumerate(FEATURES)}
    alone = seed_service.retriever.embedding.embed_alone([c.sentence for c in cands]) @ qvec
    assert np.allclose([c.features[col["own_sim"]] for c in cands], alone, atol=2e-3)


def passage(n: int, lang: str, text: str = "x") -> Passage:
    return Passage(id=f"d{n}#p1", doc_id=f"d{n}", doc=f"d{n}.txt", n=1, text=text, start=0, end=len(text), lang=lang)


def test_quoted_answer_numbers_only_the_quoted_passages_and_labels_other_languages():
    passages = [passage(1, "en"), passage(2, "ja"), passage(3, "en")]
    out = quoted_answer([cand(2, 0, 0.9, "条約は発効した。"), cand(3, 0, 0.8, "It entered into force.")], passages, "en")
    assert out["numbered"] == [passages[1], passages[2]] and out["cited"] == [1, 2]
    assert out["answer"] == "From the sources: «条約は発効した。» [1] (Japanese) «It entered into force.» [2]"
    assert own_words(out["answer"]) == ""  # quotes alone: no words of the answer's own


def test_an_unsure_quoted_answer_says_the_sources_may_not_answer_it():
    out = quoted_answer([cand(1, 0, 0.4, "Договор вступил в силу.")], [passage(1, "ru")], "ru", sure=False)
    assert out["answer"] == ("Источники, возможно, не отвечают на вопрос прямо; ближе всего к ответу: "
                             "«Договор вступил в силу.» [1]")
    assert own_words(out["answer"]) == ""  # the lead-in is the app's fixed text, not the answer's words


def test_own_words_keep_what_the_answer_says_itself():
    assert own_words("The treaty entered into force on 27 November 2025 [1].") == \
        "The treaty entered into force on 27 November 2025"
    assert own_words("出典の記述: «Договор вступил в силу.» [1] (ロシア語)") == ""


def item(id: str, docs: list[str], answerable: bool = True) -> EvalItem:
    return EvalItem(id=id, lang="en", question="q", answers=("a",) if answerable else (),
                    evidence=tuple(Evidence(doc=d, quote="a") for d in docs), answerable=answerable)


def test_halves_follow_the_documents_and_never_mix():
    names = [f"{i:03d}_doc.txt" for i in range(40)]
    halves = {document_half(n) for n in names}
    assert halves == {"dev", "heldout"}
    dev_doc = next(n for n in names if document_half(n) == "dev")
    held_doc = next(n for n in names if document_half(n) == "heldout")
    assert item_half(item("a", [dev_doc])) == "dev"
    assert item_half(item("b", [dev_doc, held_doc])) == "heldout"  # any held-out document keeps it out of tuning
    items = [item(str(i), [n]) for i, n in enumerate(names)]
    dev, held = select_half(items, "dev"), select_half(items, "heldout")
    assert len(dev) + len(held) == len(items) and not {i.id for i in dev} & {i.id for i in held}
    with pytest.raises(ValueError):
        select_half(items, "test")


def test_withheld_documents_make_their_questions_unanswerable():
    names = [f"{i:03d}_doc.txt" for i in range(40)]
    gone = [n for n in names if withheld(n)]
    assert 0 < len(gone) < len(names)
    out = withhold([item("a", [gone[0]]), item("b", [n for n in names if not withheld(n)][:1])])
    assert [i.answerable for i in out] == [False, True]
    assert out[0].answers == () and out[0].evidence == ()


def test_merged_corpus_copies_several_folders_and_follows_their_changes(tmp_path):
    from eval.runner import merged_corpus
    from rag.settings import Settings

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "one.txt").write_text("one", encoding="utf-8")
    (b / "two.txt").write_text("two", encoding="utf-8")
    base = Settings(data_dir=tmp_path / "data")
    assert merged_corpus(base, [a]) == a.resolve()  # one folder is used as it is
    merged = merged_corpus(base, [a, b])
    assert sorted(f.name for f in merged.iterdir()) == ["one.txt", "two.txt"]
    (b / "two.txt").write_text("changed", encoding="utf-8")
    (a / "one.txt").unlink()
    assert merged_corpus(base, [a, b]) == merged
    assert [(f.name, f.read_text()) for f in merged.iterdir()] == [("two.txt", "changed")]
    (a / "two.txt").write_text("clash", encoding="utf-8")
    with pytest.raises(ValueError, match="more than one corpus folder"):
        merged_corpus(base, [a, b])
    # files below a folder keep their path (an item's doc names them so); gone, their folder goes
    (a / "two.txt").unlink()
    (b / "2024" / "ru").mkdir(parents=True)
    (b / "2024" / "ru" / "three.txt").write_text("three", encoding="utf-8")
    assert (merged_corpus(base, [a, b]) / "2024" / "ru" / "three.txt").read_text() == "three"
    (b / "2024" / "ru" / "three.txt").unlink()
    merged_corpus(base, [a, b])
    assert sorted(f.relative_to(merged).as_posix() for f in merged.rglob("*")) == ["two.txt"]
