"""Fixed texts the app says to people, in the languages of the questions (ja, ru, en)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "abstain": {
        "en": "The corpus does not answer this question. The closest passages are listed as sources.",
        "ja": "この質問に答える記述はコーパスにありません。関連の近い箇所を出典として示します。",
        "ru": "В корпусе нет ответа на этот вопрос. Ближайшие фрагменты приведены в источниках.",
    },
    "extractive_lead": {
        "en": "From the sources:",
        "ja": "出典の記述:",
        "ru": "Из источников:",
    },
}


def message(key: str, lang: str) -> str:
    """The message in ``lang``, English when that language has none."""
    texts = MESSAGES[key]
    return texts.get(lang, texts["en"])
