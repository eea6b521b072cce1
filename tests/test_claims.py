"""Claims of answer sentences (dates, numbers, names) checked against the passages they cite."""

from __future__ import annotations

import pytest

from index.document import Passage
from rag.claims import check_sentence, extract_dates, extract_names, extract_numbers

JA_DOC_DATE = "2025-12-20"


def passage(text: str, date: str, lang: str, n: int = 1) -> Passage:
    return Passage(id=f"doc#p{n}", doc_id="doc", doc="doc.txt", n=n, text=text, start=0, end=len(text),
                   date=date, lang=lang)


TREATY_JA = passage(
    "双方は、両国間の投資・経済交流を一層促進することに資する、「所得に対する租税に関する二重課税の除去並びに"
    "脱税及び租税回避の防止のための日本国とトルクメニスタンとの間の条約」が2025年11月27日に発効したことを歓迎した。",
    JA_DOC_DATE, "ja")
NEUTRALITY_JA = passage(
    "日本側は、トルクメニスタンが永世中立の地位承認30周年を迎えることを祝するとともに、本年12月にアシガバットで"
    "開催された平和と信頼の国際年及び国際中立デーを記念する国際フォーラムの開催の成功を高く評価した。",
    JA_DOC_DATE, "ja")
ENERGY_JA = passage(
    "双方は、本年4月に改訂された経済産業省とトルクメニスタン外務省との間のエネルギー移行に関する協力覚書に基づき、"
    "エネルギー移行分野における協力の更なる発展で一致した。",
    JA_DOC_DATE, "ja")
LLDC3_JA = passage(
    "双方は、本年8月5日から8日にトルクメニスタンの国家観光地区アヴァザにおいて開催された第3回国連内陸開発途上国会議"
    "(LLDC3)における、内陸諸国のより均整がとれ繁栄した将来に向けた潜在力の実現に関わる重要な成果を歓迎した。",
    JA_DOC_DATE, "ja")
DIALOGUE_RU = passage(
    "16 сентября 2025 года в Токио под председательством министра экономики, торговли и промышленности Японии "
    "Ёдзи Муто состоялся Второй министерский диалог по экономике и энергетике в формате «Центральная Азия + Япония».",
    "2025-09-17", "ru")
ROADMAP_RU = passage(
    "Министр Ёдзи Муто представил «Дорожную карту по достижению углеродной нейтральности в Центральной Азии». "
    "Эта карта стала логическим продолжением договоренностей, достигнутых на первом диалоге в 2023 году.",
    "2025-09-17", "ru")
GASOLINE_EN = passage(
    "The sides welcomed the intention to cooperate on the second plant producing gasoline from natural gas "
    "in Ahal province; the contract worth 1,250 million dollars was signed on 29 September 2025.",
    "2025-12-20", "en")


# ---- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2025年11月27日", "27 ноября 2025 г.", "27 ноября 2025 года", "November 27, 2025", "27 November 2025",
    "27th of November 2025", "Nov. 27, 2025", "2025-11-27", "27.11.2025", "令和7年11月27日",
])
def test_one_date_in_every_format(text):
    assert extract_dates(text) == [(2025, 11, 27)]


@pytest.mark.parametrize("text, expected", [
    ("1 января 2024", (2024, 1, 1)), ("2 февраля 2024", (2024, 2, 2)), ("3 марта 2024", (2024, 3, 3)),
    ("4 апреля 2024", (2024, 4, 4)), ("5 мая 2024", (2024, 5, 5)), ("6 июня 2024", (2024, 6, 6)),
    ("7 июля 2024", (2024, 7, 7)), ("8 августа 2024", (2024, 8, 8)), ("9 сентября 2024", (2024, 9, 9)),
    ("10 октября 2024", (2024, 10, 10)), ("11 ноября 2024", (2024, 11, 11)), ("12 декабря 2024", (2024, 12, 12)),
    ("в ноябре 2025 года", (2025, 11, None)), ("в 2023 году", (2023, None, None)), ("в мае", (None, 5, None)),
    ("April 2025", (2025, 4, None)), ("Sept 3, 2025", (2025, 9, 3)), ("in December", (None, 12, None)),
    ("2025年9月", (2025, 9, None)), ("11月27日", (None, 11, 27)),
])
def test_partial_and_russian_dates(text, expected):
    assert extract_dates(text) == [expected]


def test_relative_japanese_dates_resolve_with_the_document_date():
    text = "本年4月に改訂された覚書、本年12月に開催されたフォーラム、同年8月5日から8日の会議、昨年の訪問。"
    assert extract_dates(text, JA_DOC_DATE) == [
        (2025, 4, None), (2025, 12, None), (2025, 8, 5), (2025, 8, 8), (2024, None, None)]


def test_japanese_eras_kanji_numerals_and_ranges():
    assert extract_dates("平成九年十一月一日及び二日") == [(1997, 11, 1), (1997, 11, 2)]
    assert extract_dates("2021年6月から9月まで、同月15日") == [(2021, 6, None), (2021, 9, None), (2021, 9, 15)]
    # what ja-timex would read as dates but is not one: counts, an address, a list of numbers
    assert extract_dates("150年以上の歴史、千駄ヶ谷4丁目26-7、「1・2・3」") == []
    assert extract_dates("1971年-2000年の平均") == [(1971, None, None), (2000, None, None)]


def test_same_year_follows_the_last_year_mentioned():
    assert extract_dates("2023年に第1回対話が開催され、同年9月に覚書が署名された。", JA_DOC_DATE) == [
        (2023, None, None), (2023, 9, None)]


def test_relative_russian_and_english_years():
    assert extract_dates("в прошлом году и в этом году", "2025-09-17") == [(2024, None, None), (2025, None, None)]
    assert extract_dates("last year", "2025-09-17") == [(2024, None, None)]
    assert extract_dates("last year") == []  # nothing to resolve it with


def test_ranges_give_both_ends():
    assert extract_dates("5–8 August 2025") == [(2025, 8, 5), (2025, 8, 8)]
    assert extract_dates("с 5 по 8 августа 2025 года") == [(2025, 8, 5), (2025, 8, 8)]


def test_answer_date_supported_by_a_japanese_passage_in_another_format():
    for sentence in ("The tax treaty entered into force on 27 November 2025.",
                     "Налоговое соглашение вступило в силу 27 ноября 2025 г.",
                     "The treaty has been in force since 27.11.2025."):
        check = check_sentence(sentence, [TREATY_JA])
        assert check.ok, (sentence, check)


def test_wrong_date_fails():
    check = check_sentence("The tax treaty entered into force on 27 October 2025.", [TREATY_JA])
    assert not check.ok
    assert check.unsupported == ["27 October 2025"]


def test_more_precise_date_than_the_passage_fails():
    check = check_sentence("The energy memorandum was revised on 15 April 2025.", [ENERGY_JA])
    assert check.unsupported == ["15 April 2025"]


def test_partial_dates_supported_by_relative_passage_dates():
    assert check_sentence("The energy transition memorandum was revised in April 2025.", [ENERGY_JA]).ok
    assert check_sentence("The memorandum was revised in 2025.", [ENERGY_JA]).ok
    assert not check_sentence("The memorandum was revised in 2024.", [ENERGY_JA]).ok
    assert check_sentence("An international forum took place in December 2025.", [NEUTRALITY_JA]).ok


def test_a_year_alone_is_not_stated_by_a_day_without_its_year():
    summit = passage("The Fourth Summit was held in Rome on May 13. Among those attending was Prime Minister "
                     "Mario Rossi.", "", "en")
    question = "Who attended the 2015 summit?"
    assert check_sentence(question, [summit]).unsupported == ["2015"]
    assert check_sentence("The summit was held on May 13, 2015.", [summit]).ok  # the day fits any year
    assert not check_sentence("The summit was held in June 2015.", [summit]).ok
    dated = passage("The summit was held in Rome in 2015, on May 13.", "", "en")
    assert check_sentence(question, [dated]).ok
    assert check_sentence("11月1日にソウルで会談が行われた。", [passage("11月1日,ソウルにおいて会談が開催された。", "", "ja")]).ok
    assert not check_sentence("2015年にソウルで会談が行われた。", [passage("11月1日,ソウルにおいて会談が開催された。", "", "ja")]).ok


def test_date_range_against_a_japanese_range():
    assert check_sentence("LLDC3 was held from 5 to 8 August 2025.", [LLDC3_JA]).ok
    assert not check_sentence("LLDC3 was held from 5 to 9 August 2025.", [LLDC3_JA]).ok


# ---- numbers -------------------------------------------------------------------------------

def test_extract_numbers_reads_separators_scales_and_full_width_digits():
    assert extract_numbers("１，２５０ tonnes, 1 250 человек, 2,5 млрд, 1.5 billion, 15億円, 30周年") == [
        "1250", "1250", "2500000000", "1500000000", "1500000000", "30"]


def test_extract_numbers_skips_markers_dates_and_identifiers():
    assert extract_numbers("LLDC3 took place on 5 August 2025 with 32 countries [3].") == ["32"]


def test_anniversary_count_supported_and_wrong_count_fails():
    assert check_sentence("Japan congratulated Turkmenistan on the 30th anniversary of its neutrality.",
                          [NEUTRALITY_JA]).ok
    check = check_sentence("Japan congratulated Turkmenistan on the 31st anniversary of its neutrality.",
                           [NEUTRALITY_JA])
    assert check.unsupported == ["31"]


def test_numbers_compared_by_value_across_notations():
    assert check_sentence("Контракт стоимостью 1 250 млн долларов подписан 29 сентября 2025 года.", [GASOLINE_EN]).ok
    assert check_sentence("The contract is worth 1.25 billion dollars.", [GASOLINE_EN]).ok
    assert not check_sentence("The contract is worth 1.5 billion dollars.", [GASOLINE_EN]).ok


def test_ordinal_written_as_a_word_in_the_passage_supports_digits():
    assert check_sentence("The 2nd ministerial dialogue took place in Tokyo.", [DIALOGUE_RU]).ok
    assert check_sentence("第2回閣僚対話が東京で開かれた。", [DIALOGUE_RU]).ok
    assert not check_sentence("The 3rd ministerial dialogue took place in Tokyo.", [DIALOGUE_RU]).ok


def test_kanji_numerals_count_where_they_are_numerals_not_inside_words():
    # 一層 (further) and 一致 (agreed) are words that hold 一, not the number 1
    assert check_sentence("It was the 1st treaty between them.", [TREATY_JA]).unsupported == ["1"]
    assert check_sentence("They agreed on 1 point.", [ENERGY_JA]).unsupported == ["1"]
    numerals = passage("第二回会合には三か国が参加し、総額二十五億円の支援で一致した。", JA_DOC_DATE, "ja")
    assert check_sentence("The 2nd meeting: 3 countries, 2.5 billion yen.", [numerals]).ok
    assert not check_sentence("The 1st meeting.", [numerals]).ok  # 一致 states no 1


# ---- names ---------------------------------------------------------------------------------

def test_extract_names_finds_every_kind_and_skips_sentence_words():
    assert extract_names("The minister Yoji Muto presented GOSAT data in Ashgabat on 27 November 2025.") == [
        "Yoji Muto", "GOSAT", "Ashgabat"]
    assert extract_names("トルクメニスタンのセルダル・ベルディムハメドフ大統領は「ターンキー」方式の契約を歓迎した。") == [
        "トルクメニスタン", "セルダル・ベルディムハメドフ", "ターンキー"]
    assert extract_names("Министр Ёдзи Муто представил «Дорожную карту» в Токио.") == [
        "Министр Ёдзи Муто", "Дорожную карту", "Токио"]


def test_the_word_that_opens_any_sentence_may_be_an_ordinary_word():
    dialogue = passage("16 сентября 2025 года в Токио под председательством министра Ёдзи Муто состоялся диалог.",
                       "", "ru")
    assert check_sentence("Где он прошёл? (Кто председательствовал на диалоге?)", [dialogue]).claims == []
    summit = passage("The summit was held in Tokyo; Japan was represented by its Prime Minister.", "", "en")
    assert check_sentence("Who represented Japan? Where was it held?", [summit]).claims == ["Japan"]
    # a name still counts where it opens a sentence, if the passage has it, and anywhere else
    assert check_sentence("It was held in Tokyo. Tokyo hosted it.", [summit]).supported == ["Tokyo"]
    assert check_sentence("The summit was held in Tokyo. Then Ivan left.", [summit]).unsupported == ["Ivan"]


def test_an_acronym_the_passage_spells_out_is_supported():
    lng = passage("The plant will produce liquefied natural gas for Japan.", "", "en")
    assert check_sentence("The LNG goes to Japan.", [lng]).ok
    assert check_sentence("Саммит ШОС прошёл в Астане.",
                          [passage("Саммит Шанхайской организации сотрудничества прошёл в Астане.", "", "ru")]).ok
    assert check_sentence("The OSCE met.", [passage("The Organization for Security and Co-operation in Europe met.",
                                                     "", "en")]).ok
    assert check_sentence("The LNG goes to Japan.", [passage("The plant will produce gas for Japan.", "", "en")]
                          ).unsupported == ["LNG"]
    assert not check_sentence("The PM met.", [passage("The parties met.", "", "en")]).ok  # two letters: too few


def test_russian_names_match_across_inflection():
    assert check_sentence("Дорожную карту представил Муто.", [ROADMAP_RU]).ok
    assert check_sentence("Диалог прошёл под председательством Ёдзи Мутой в Токио.", [DIALOGUE_RU]).ok
    assert check_sentence("Участники обсудили «Дорожная карта по достижению углеродной нейтральности».",
                          [ROADMAP_RU]).ok
    check = check_sentence("Диалог прошёл под председательством Максата Бабаева.", [DIALOGUE_RU])
    assert check.unsupported == ["Максата Бабаева"]


def test_a_russian_name_is_matched_as_a_form_of_the_same_word_not_by_its_first_letters():
    hanoi = passage("Консультации прошли в Ханое. Делегацию возглавлял Джонсон.", "2024-03-12", "ru")
    assert check_sentence("Консультации состоялись в Ханое.", [hanoi]).ok
    assert check_sentence("Консультации принял Ханой.", [hanoi]).ok
    assert check_sentence("Делегацию Джонсона приняли в Ханое.", [hanoi]).ok
    # one letter off: another word, which a stem ("хан") or a prefix took for Ханое
    assert check_sentence("Консультации прошли в Ханее.", [hanoi]).unsupported == ["Ханее"]
    assert check_sentence("Делегацию возглавлял Джонс.", [hanoi]).unsupported == ["Джонс"]
    # a name the dictionary does not know, by the paradigm inferred for it
    turkmen = passage("Президент Бердымухамедов прибыл в Токио.", "2025-12-20", "ru")
    assert check_sentence("Переговоры с Бердымухамедовым прошли в Токио.", [turkmen]).ok


def test_english_name_from_a_russian_passage_by_transliteration():
    check = check_sentence("The dialogue was chaired by Yoji Muto in Tokyo on September 16, 2025.", [DIALOGUE_RU])
    assert check.ok and check.unverifiable == []
    assert {"Yoji Muto", "Tokyo", "September 16, 2025"} <= set(check.claims)
    # the passage's own spelling of each transliterated name, to be shown beside it
    assert check.spellings == {"Yoji Muto": "Ёдзи Муто", "Tokyo": "Токио"}
    assert check_sentence("ムト大臣が議長を務めた。", [DIALOGUE_RU]).spellings == {"ムト": "Муто"}


def test_english_name_from_katakana_by_romanisation():
    check = check_sentence("An international forum was held in Ashgabat in Turkmenistan.", [NEUTRALITY_JA])
    assert check.ok and check.unverifiable == []
    assert check.spellings["Ashgabat"] == "アシガバット"


def test_name_that_cannot_be_transliterated_is_unverifiable_not_unsupported():
    check = check_sentence("The Prime Minister of Japan welcomed the treaty with Turkmenistan.", [TREATY_JA])
    assert check.ok
    assert "Japan" in check.unverifiable and "Turkmenistan" not in check.unverifiable


def test_japanese_katakana_names_against_japanese_and_russian_passages():
    assert check_sentence("トルクメニスタンとの条約は2025年11月27日に発効した。", [TREATY_JA]).ok
    check = check_sentence("ウズベキスタンとの条約は2025年11月27日に発効した。", [TREATY_JA])
    assert check.unsupported == ["ウズベキスタン"]
    assert check_sentence("ムト大臣が東京で対話の議長を務めた。", [DIALOGUE_RU]).ok


def test_acronyms_must_appear_in_same_script_passages():
    assert check_sentence("The sides welcomed LLDC3 outcomes in Avaza.", [LLDC3_JA]).ok
    check = check_sentence("The WTO financed the second plant.", [GASOLINE_EN])
    assert check.unsupported == ["WTO"]


def test_sentence_initial_common_word_is_not_a_claim():
    check = check_sentence("Both sides welcomed the intention to cooperate on the second plant.", [GASOLINE_EN])
    assert check.ok and check.claims == []
    check = check_sentence("Participants welcomed the gasoline plant project.", [GASOLINE_EN])
    assert check.ok and check.claims == []


def test_sentence_without_claims_is_ok_and_claims_without_passages_fail():
    assert check_sentence("双方は協力の発展で一致した。", [TREATY_JA]).ok
    assert not check_sentence("The treaty entered into force on 27 November 2025.", []).ok


def test_claims_are_checked_against_every_cited_passage():
    check = check_sentence("Yoji Muto chaired the dialogue on 16 September 2025, and the treaty with Turkmenistan "
                           "entered into force on 27 November 2025.", [DIALOGUE_RU, TREATY_JA])
    assert check.ok
    assert not check_sentence("Yoji Muto chaired the dialogue on 16 September 2025.", [TREATY_JA]).ok


def test_romanisation_gives_the_same_spellings_from_many_threads_at_once():
    """One MeCab-backed converter pair serves every thread (under a lock): the same results as alone."""
    from concurrent.futures import ThreadPoolExecutor

    from rag.claims import _romanisations

    words = ["オーストラリア", "トルクメニスタン", "ベルディムハメドフ", "東京", "Лондон", "コンピューター"] * 20
    alone = [_romanisations(w) for w in words]
    assert ("australia" in alone[0]) and alone[4] == ("london",)
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(_romanisations, words)) == alone


@pytest.mark.parametrize("sentence, source, date, yearless", [
    ("16 сентября [1]", "16 сентября 2025 года в Токио состоялся диалог.", "", ["16 сентября"]),
    ("16 сентября 2025 года [1]", "16 сентября 2025 года в Токио состоялся диалог.", "", []),
    ("It ran from August 5 to August 8, 2025 [1].", "本年8月5日から8日に開催された。", "2025-12-20", []),
    ("8月5日から8日に開催された[1]", "本年8月5日から8日に開催された。", "2025-12-20", ["8月5日から8日"]),
    ("On May 13 [1]", "The summit was held on May 13.", "", []),  # the source gives no year either
])
def test_a_day_and_month_without_the_year_its_source_gives_is_flagged(sentence, source, date, yearless):
    check = check_sentence(sentence, [passage(source, date, "en")])
    assert check.ok and check.yearless == yearless


def test_each_claim_says_its_kind():
    passage = Passage(id="d#p1", doc_id="d", doc="d.txt", n=1, start=0, end=10, lang="en", date="",
                      text="On 5 May 2024 Japan and Mongolia signed 12 agreements in Ulaanbaatar.")
    check = check_sentence("They signed 12 agreements in Ulaanbaatar on 5 May 2024 [1].", [passage])
    assert check.kinds == {"12": "number", "Ulaanbaatar": "name", "5 May 2024": "date"}
    assert check.claims == list(check.kinds) and check.ok

