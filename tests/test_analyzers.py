"""Per-language analyzers, run with the real fugashi/unidic-lite tagger and Snowball stemmers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from index.analyzers import query_tokens, tokenize


def test_japanese_words_become_dictionary_forms():
    assert tokenize("発効した", "ja") == tokenize("発効する", "ja") == tokenize("発効します", "ja")
    assert tokenize("協力を行いました", "ja") == ["協力", "行う"]
    # UniDic lemmas also unify spelling variants
    assert tokenize("子ども", "ja") == tokenize("子供", "ja")
    # and drop the source word of loanwords: コンピューター-computer
    assert tokenize("コンピューター", "ja") == ["コンピューター"]


def test_japanese_drops_particles_auxiliaries_and_punctuation():
    tokens = tokenize("双方は、直行便の開設を歓迎した。「条約」", "ja")
    assert tokens == ["双方", "直行", "便", "開設", "歓迎", "為る", "条約"]


def test_japanese_dates_yield_their_numbers():
    tokens = tokenize("2025年11月27日に発効", "ja")
    assert tokens[:6] == ["2025", "年", "11", "月", "27", "日"]
    assert tokenize("２０２５年１１月２７日", "ja") == tokens[:6]  # full-width digits


def test_japanese_keeps_latin_acronyms_lowercased():
    tokens = tokenize("GOSATとＡＩ、LLDC3の協力", "ja")
    assert tokens == ["gosat", "ai", "lldc", "3", "協力"]


def test_russian_is_lowercased_and_stemmed():
    assert tokenize("Председатель, председателя!", "ru") == ["председател", "председател"]
    assert tokenize("министра Министр", "ru") == ["министр", "министр"]
    # Snowball stems the verb and the noun apart: they do not match each other
    assert tokenize("председательствовал", "ru") == ["председательствова"]
    assert tokenize("под председательством", "ru") == ["под", "председательств"]


def test_english_is_lowercased_and_stemmed():
    assert tokenize("The treaty entered into force.", "en") == ["the", "treati", "enter", "into", "forc"]
    assert tokenize("Treaties entering", "en") == ["treati", "enter"]


def test_digits_split_from_letters_in_every_analyzer():
    assert tokenize("COP29, 27.11.2025", "en") == ["cop", "29", "27", "11", "2025"]
    assert tokenize("в 2025г.", "ru") == ["в", "2025", "г"]


def test_full_width_text_is_normalised_first():
    assert tokenize("ＧＯＳＡＴ　２０２５", "en") == ["gosat", "2025"]


def test_other_languages_are_lowercased_words():
    assert tokenize("Die Straße, ÉCOLE-12", "de") == ["die", "straße", "école", "12"]


def test_query_tokens_use_the_query_language():
    assert query_tokens("条約はいつ発効しましたか") == ("条約", "何時", "発効", "為る")
    assert query_tokens("Когда вступил в силу договор?") == ("когд", "вступ", "в", "сил", "договор")
    assert list(query_tokens("When did the treaty enter into force?")) == tokenize(
        "When did the treaty enter into force?", "en")


def test_concurrent_use_gives_the_same_tokens():
    texts = [("双方は、2025年11月27日に発効したことを歓迎した。", "ja"),
             ("Участники диалога подтвердили приверженность сотрудничеству", "ru")] * 50
    expected = [tokenize(t, lang) for t, lang in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda tl: tokenize(*tl), texts)) == expected
