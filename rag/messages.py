"""Fixed texts the app says to people, in the languages of the questions (ja, ru, en)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "abstain": {
        "en": "The corpus does not answer this question. The closest passages are listed as sources.",
        "ja": "この質問に答える記述はコーパスにありません。関連の近い箇所を出典として示します。",
        "ru": "В корпусе нет ответа на этот вопрос. Ближайшие фрагменты приведены в источниках.",
    },
    "empty_index": {
        "en": "No documents are indexed yet, so there is nothing to answer from. "
              "Run `rag ingest` (or `make index`) to index the corpus folder.",
        "ja": "まだ文書が索引されていないため、回答できません。"
              "`rag ingest`(または `make index`)でコーパスのフォルダを索引してください。",
        "ru": "Документы ещё не проиндексированы, отвечать не на чем. "
              "Запустите `rag ingest` (или `make index`), чтобы проиндексировать папку корпуса.",
    },
    "extractive_lead": {
        "en": "From the sources:",
        "ja": "出典の記述:",
        "ru": "Из источников:",
    },
    # an answer the evidence scorer is unsure of (below ``sure_threshold``): said before the quotes,
    # and as a note beside a generated answer (the chat's and the CLI's)
    "unsure_lead": {
        "en": "The sources may not answer this directly; the closest they come:",
        "ja": "出典はこの質問に直接答えていない可能性があります。最も近い記述:",
        "ru": "Источники, возможно, не отвечают на вопрос прямо; ближе всего к ответу:",
    },
    # after the items of a quoted list that goes on in its source (``max_list_items``)
    "list_cut": {
        "en": "(the list goes on in the source)",
        "ja": "（一覧は出典でさらに続きます）",
        "ru": "(список в источнике продолжается)",
    },
    "unsure_note": {
        "en": "The sources may not answer this directly: check the cited passages",
        "ja": "出典はこの質問に直接答えていない可能性があります。引用元の段落を確認してください",
        "ru": "Источники, возможно, не отвечают на вопрос прямо: проверьте цитируемые фрагменты",
    },
}


# a language's name, in the language of the question: the label of a quote in another language
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "ja": {"en": "Japanese", "ja": "日本語", "ru": "на японском"},
    "ru": {"en": "Russian", "ja": "ロシア語", "ru": "на русском"},
    "en": {"en": "English", "ja": "英語", "ru": "на английском"},
}


def language_name(code: str, lang: str) -> str:
    """The name of language ``code`` in ``lang`` (English when unknown); the code itself when
    the language has no name here."""
    names = LANGUAGE_NAMES.get(code)
    return names.get(lang, names["en"]) if names else code


def message(key: str, lang: str) -> str:
    """The message in ``lang``, English when that language has none."""
    texts = MESSAGES[key]
    return texts.get(lang, texts["en"])


def note_keys(result: dict) -> list[str]:
    """The notes that go under a generated answer, as keys the chat and the CLI each word:
    ``unsure`` when the evidence scorer doubts the sources answer (a quoted answer's lead-in
    says it itself), ``dropped`` when the checks dropped sentences of it."""
    if result.get("mode") != "llm":
        return []
    keys = ["unsure"] if result.get("unsure") else []
    return keys + (["dropped"] if (result.get("checks") or {}).get("dropped") else [])
