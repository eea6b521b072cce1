"""Per-language analyzers for lexical (BM25) retrieval: text → normalised tokens.

All text is NFKC-normalised first (full-width letters and digits become ASCII). Then:

- Japanese (``ja``) is split by morphological analysis (fugashi + unidic-lite) and each word
  is reduced to its UniDic lemma, so conjugations and spelling variants meet
  (発効した → 発効 + 為る, 子ども → 子供); punctuation, symbols and whitespace are dropped,
  as are particles and auxiliary verbs, which carry no topic; Latin words are lowercased.
- Russian (``ru``) and English (``en``) are lowercased and Snowball-stemmed (PyStemmer).
- Any other language is lowercased and split into words.

Everywhere, runs of digits are tokens of their own, separate from adjacent letters, so that
"2024年3月3日", "03.03.2024" and "G20" all yield "2024" / "3" / "3" / "20".

The MeCab tagger and the stemmers are created once per process, on first use; neither is
safe to call from two threads at once, so each is used under its own lock.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache, lru_cache

import fugashi
import Stemmer

from index.language import detect_language

# Changes whenever the tokens produced for the same text change: a stored index built by
# another version is re-analysed from its text.
ANALYZER_VERSION = "1"

_STEMMER_LANGUAGES = {"ru": "russian", "en": "english"}
# UniDic part-of-speech (pos1) classes that are not indexed
_JA_SKIPPED_POS = frozenset({"補助記号", "記号", "空白", "助詞", "助動詞"})
# letters-only runs or digits-only runs: "G20" → "G", "20"; "2024-03-03" → 3 numbers
_WORD = re.compile(r"[^\W\d_]+|\d+")

_tagger_lock = threading.Lock()
_stemmer_locks = {lang: threading.Lock() for lang in _STEMMER_LANGUAGES}


@cache
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()


@cache
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_LANGUAGES[lang])


def normalise(text: str) -> str:
    """NFKC: full-width Latin letters, digits and punctuation become their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def words(text: str) -> list[str]:
    """Lowercased letter runs and digit runs of already normalised text."""
    return _WORD.findall(text.lower())


def _ja_base_form(word: fugashi.UnidicNode) -> str:
    lemma = word.feature.lemma
    if not lemma:  # unknown words (names, numbers, Latin acronyms) have no lemma
        return word.surface
    # loanword lemmas carry their source word: コンピューター-computer
    return lemma.split("-", 1)[0] or lemma


def _tokenize_japanese(text: str) -> list[str]:
    with _tagger_lock:
        nodes = [(word.feature.pos1, _ja_base_form(word)) for word in _tagger()(text)]
    tokens: list[str] = []
    for pos, base in nodes:
        if pos in _JA_SKIPPED_POS:
            continue
        tokens.extend(words(base) if base.isascii() else [base.lower()])
    return tokens


def japanese_numerals(text: str) -> list[str]:
    """The numerals of Japanese ``text`` as its morphological analysis reads them: UniDic's
    numeral tokens (名詞-数詞), consecutive ones joined ("二十五億", the "二" of 第二回 or 二国間,
    the "三" of 三か国); the 一 of 一致, 一層 or 統一, the 三 of 三者 and the 万 of 万博 are in
    words, not numerals."""
    with _tagger_lock:
        nodes = [(word.surface, word.feature.pos2 == "数詞") for word in _tagger()(text)]
    runs: list[str] = []
    joined = False
    for surface, numeral in nodes:
        if numeral and joined:
            runs[-1] += surface
        elif numeral:
            runs.append(surface)
        joined = numeral
    return runs


def _tokenize_stemmed(text: str, lang: str) -> list[str]:
    found = words(text)
    with _stemmer_locks[lang]:
        return _stemmer(lang).stemWords(found)


def stem(word: str, lang: str) -> str:
    """The Snowball stem of one word in ``lang`` (``ru`` or ``en``)."""
    with _stemmer_locks[lang]:
        return _stemmer(lang).stemWord(word)


def tokenize(text: str, lang: str) -> list[str]:
    """The index terms of ``text`` as the analyzer of language ``lang`` sees them."""
    text = normalise(text)
    if lang == "ja":
        return _tokenize_japanese(text)
    if lang in _STEMMER_LANGUAGES:
        return _tokenize_stemmed(text, lang)
    return words(text)


@lru_cache(maxsize=256)
def query_tokens(query: str) -> tuple[str, ...]:
    """The terms of a query, analysed as the language it is written in (cached: retrieval
    analyses each question twice, for BM25 and for the share of it the index knows)."""
    return tuple(tokenize(query, detect_language(query)))

