"""The BM25 index: search per language, persistence, document updates, crash safety."""

from __future__ import annotations

import json

import pytest

from index.document import Passage
from index.lexical import LexicalIndex

JA_TITLE = "高市早苗日本国総理大臣とセルダル・ベルディムハメドフ大統領の首脳会談の成果に関する共同プレスリリース"
JA_DOC = "000_6f479204fdb56844"
RU_DOC = "003_223ee8f423a3e31d"
EN_DOC = "en_note"


def passage(doc_id: str, n: int, text: str, lang: str, title: str = "", section: str = "",
            date: str = "") -> Passage:
    return Passage(id=f"{doc_id}#p{n}", doc_id=doc_id, doc=f"{doc_id}.txt", n=n, text=text, start=0,
                   end=len(text), section=section, title=title, date=date, lang=lang)


JA = [
    passage(JA_DOC, 1, "2025年12月20日、「中央アジア+日本」対話・第1回首脳会合の機会に、高市早苗日本国総理大臣と"
            "セルダル・ベルディムハメドフ大統領は、東京において日・トルクメニスタン首脳会談を実施した。",
            "ja", JA_TITLE, date="2025-12-20"),
    passage(JA_DOC, 10, "双方は、両国間の投資・経済交流を一層促進することに資する、「所得に対する租税に関する二重課税の"
            "除去並びに脱税及び租税回避の防止のための日本国とトルクメニスタンとの間の条約」が2025年11月27日に"
            "発効したことを歓迎した。", "ja", JA_TITLE, "経済分野", "2025-12-20"),
    passage(JA_DOC, 13, "双方は、日本とトルクメニスタン間の直行便就航に向けた活動を推進することで一致した。",
            "ja", JA_TITLE, "経済分野", "2025-12-20"),
]
RU = [
    passage(RU_DOC, 1, "16 сентября 2025 года в Токио под председательством министра экономики, торговли и "
            "промышленности Японии Ёдзи Муто состоялся Второй министерский диалог по экономике и энергетике "
            "в формате «Центральная Азия + Япония».", "ru", date="2025-09-17"),
    passage(RU_DOC, 12, "Формат «Центральная Азия + Япония» был создан в 2004 году для содействия региональному "
            "сотрудничеству и решению общих задач.", "ru", date="2025-09-17"),
]
EN = [
    passage(EN_DOC, 1, "The double taxation convention between Japan and Turkmenistan entered into force "
            "on 27 November 2025.", "en", "Japan–Turkmenistan summit"),
    passage(EN_DOC, 2, "Both sides agreed to promote direct flights between the two countries.", "en",
            "Japan–Turkmenistan summit"),
]


def build(directory) -> LexicalIndex:
    index = LexicalIndex.load(directory)
    index.replace_documents({JA_DOC: JA, RU_DOC: RU, EN_DOC: EN})
    index.save()
    return index


def top(index: LexicalIndex, query: str, **kwargs) -> str | None:
    hits = index.search(query, **kwargs)
    return hits[0][0] if hits else None


@pytest.fixture
def index(tmp_path):
    return build(tmp_path / "bm25")


def test_empty_folder_gives_an_empty_index(tmp_path):
    index = LexicalIndex.load(tmp_path / "nothing-here")
    assert len(index) == 0 and index.ids() == []
    assert index.search("条約") == []
    index.save()
    assert len(LexicalIndex.load(tmp_path / "nothing-here")) == 0


def test_each_language_finds_its_passage(index):
    assert len(index) == 7
    assert top(index, "日本とトルクメニスタンの二重課税条約はいつ発効したか") == f"{JA_DOC}#p10"
    assert top(index, "直行便の就航") == f"{JA_DOC}#p13"
    assert top(index, "Кто председательствовал на министерском диалоге по энергетике?") == f"{RU_DOC}#p1"
    assert top(index, "Когда был создан формат Центральная Азия + Япония?") == f"{RU_DOC}#p12"
    assert top(index, "When did the taxation convention enter into force?") == f"{EN_DOC}#p1"


def test_scores_are_positive_and_best_first(index):
    hits = index.search("トルクメニスタン 条約 発効", k=20)
    scores = [score for _, score in hits]
    assert hits and all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    assert {pid for pid, _ in hits} <= {p.id for p in JA}  # Japanese terms match Japanese passages only
    assert len(index.search("トルクメニスタン", k=1)) == 1


def test_dates_match_by_their_numbers(index):
    assert top(index, "2025年11月27日") == f"{JA_DOC}#p10"
    assert top(index, "16 сентября 2025") == f"{RU_DOC}#p1"


def test_contextual_header_is_indexed(index):
    # "経済分野" (the section) and "首脳会談" (the title) are not in passage 13's own text
    assert f"{JA_DOC}#p13" in {pid for pid, _ in index.search("経済分野")}
    assert f"{JA_DOC}#p13" in {pid for pid, _ in index.search("首脳会談")}


def test_a_query_in_another_language_finds_nothing(index, tmp_path):
    only_ru = LexicalIndex.load(tmp_path / "ru-only")
    only_ru.replace_documents({RU_DOC: RU})
    assert only_ru.search("中央アジアと日本の対話はいつ作られたか") == []
    assert index.search("") == [] and index.search("。、！") == []


def test_allowed_ids_restrict_the_results(index):
    allowed = {f"{JA_DOC}#p1", f"{JA_DOC}#p13"}
    hits = index.search("トルクメニスタン", allowed_ids=allowed)
    assert {pid for pid, _ in hits} == allowed
    assert index.search("トルクメニスタン", allowed_ids=set()) == []


def test_saved_index_reloads_identically(index):
    again = LexicalIndex.load(index.directory)
    assert len(again) == len(index) and again.ids() == index.ids()
    for query in ("二重課税条約の発効", "министерский диалог", "direct flights"):
        assert again.search(query) == index.search(query)


def test_replace_and_remove_documents(index):
    index.replace_documents({JA_DOC: JA[:1], "new": [passage("new", 1, "GOSAT 温室効果ガス観測技術衛星", "ja")]})
    index.remove_documents([RU_DOC, "never-indexed"])
    index.save()
    again = LexicalIndex.load(index.directory)
    assert sorted(again.ids()) == sorted([f"{JA_DOC}#p1", "new#p1", *(p.id for p in EN)])
    assert top(again, "GOSATの観測") == "new#p1"
    assert again.search("二重課税") == [] and again.search("министерский диалог") == []
    again.replace_documents({"new": []})
    assert "new#p1" not in again.ids() and again.search("GOSAT") == []


def test_passage_without_language_is_analysed_by_its_script(tmp_path):
    index = LexicalIndex.load(tmp_path)
    index.replace_documents({"x": [passage("x", 1, "Министр энергетики Кыргызстана", "")]})
    assert top(index, "министры энергетики") == "x#p1"


def test_unsaved_changes_are_all_or_nothing(index):
    """Until save() commits them, changes are the writer's own; a writer that dies leaves the
    last committed index whole (SQLite rolls the transaction back)."""
    index.remove_documents([JA_DOC])
    index.replace_documents({"new": [passage("new", 1, "GOSAT 温室効果ガス観測技術衛星", "ja")]})
    assert top(index, "GOSAT") == "new#p1" and index.search("二重課税条約") == []
    reader = LexicalIndex.load(index.directory)
    assert len(reader) == 7 and top(reader, "二重課税条約") == f"{JA_DOC}#p10" and reader.search("GOSAT") == []
    index._db.close()  # as when the process is killed before save()
    again = LexicalIndex.load(index.directory)
    assert len(again) == 7 and again.search("GOSAT") == []
    again.remove_documents([JA_DOC])
    again.save()
    assert len(LexicalIndex.load(index.directory)) == 4


def test_an_update_writes_what_the_document_has(index):
    """Replacing one document leaves the other documents' rows as they were."""
    rows = lambda ix: dict(ix._db.execute("SELECT id, row FROM passages"))  # noqa: E731
    before = rows(index)
    index.replace_documents({EN_DOC: EN[:1]})
    index.save()
    after = rows(LexicalIndex.load(index.directory))
    assert {pid: r for pid, r in after.items() if not pid.startswith(EN_DOC)} == \
           {pid: r for pid, r in before.items() if not pid.startswith(EN_DOC)}
    assert f"{EN_DOC}#p2" not in after


def test_index_from_other_analyzer_settings_is_reanalysed(index):
    index._db.execute("UPDATE passages SET tokens = '[\"stale\"]'")
    index._db.execute("UPDATE meta SET value = '{\"analyzer\": \"an older analyzer\"}' WHERE key = 'signature'")
    index._db.commit()
    again = LexicalIndex.load(index.directory)
    assert again.search("stale") == []
    assert top(again, "二重課税条約") == f"{JA_DOC}#p10"


def test_an_index_of_the_generation_layout_is_imported(tmp_path):
    """Earlier releases wrote gen-* folders named by CURRENT: their passages are imported once."""
    old = tmp_path / "bm25"
    (old / "gen-1").mkdir(parents=True)
    records = [{"id": p.id, "doc_id": p.doc_id, "lang": p.lang, "text": p.indexed_text(), "tokens": ["x"]} for p in RU]
    (old / "gen-1" / "passages.json").write_text(json.dumps({"signature": {"format": 0}, "passages": records}),
                                                 encoding="utf-8")
    (old / "CURRENT").write_text("gen-1", encoding="utf-8")
    index = LexicalIndex.load(old)
    assert sorted(index.ids()) == sorted(p.id for p in RU) and not (old / "CURRENT").exists()
    assert top(index, "Когда был создан формат Центральная Азия + Япония?") == f"{RU_DOC}#p12"  # re-analysed


def test_known_share_falls_when_the_querys_key_term_is_unknown(tmp_path):
    index = build(tmp_path / "bm25")
    known = index.known_share("トルクメニスタンとの直行便")
    unknown = index.known_share("キルギスとの直行便")  # キルギス occurs in no passage
    assert known == pytest.approx(1.0, abs=0.01)
    assert 0.0 < unknown < 0.8
    assert index.known_share("Кыргызстан Таджикистан") == 0.0
    index.remove_documents([JA_DOC, RU_DOC, EN_DOC])
    assert index.known_share("トルクメニスタン") == 0.0  # an empty index knows nothing
