"""UI texts in English, Japanese and Russian.

Component labels go through ``gr.I18n`` (Gradio picks the browser's language); the texts the
server writes into HTML (notes, messages) use the request's Accept-Language header.
"""

from __future__ import annotations

import gradio as gr

from rag.messages import MESSAGES

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "chat": "Chat", "sources": "Sources", "send": "Ask", "new_chat": "New chat",
        "ask_placeholder": "Ask a question in English, 日本語 or русский…", "options": "Options and filters",
        "use_llm": "Use the language model (off: quote the sources)", "n_sources": "Number of sources",
        "documents": "Documents", "since": "Dated from", "until": "Dated until", "language": "Language",
        "citation": "Citation lookup", "passage_id": "Passage ID", "open": "Open",
        "read_document": "Read a document",
        "searching": "Searching the corpus…", "answering": "Sources found; writing the answer…",
        "draft": "Draft, not yet checked against the sources: the checked answer replaces it",
        "busy": "The language model is busy with {ahead} earlier question(s); yours is in line…",
        "abstained": "The corpus does not answer this", "fallback": "Fell back to quoting the sources",
        "dropped": "Sentences dropped because their sources did not support them",
        "unsure": MESSAGES["unsure_note"]["en"], "read_as": "Read together with the previous question",
        "not_cited": "retrieved, not cited", "no_sources": "No sources.",
        "unknown_id": "Unknown passage ID", "reference": "Reference", "copies": "Same text also in",
    },
    "ja": {
        "chat": "チャット", "sources": "出典", "send": "質問", "new_chat": "新しいチャット",
        "ask_placeholder": "日本語・English・русский で質問してください…", "options": "オプションと絞り込み",
        "use_llm": "言語モデルを使う(オフ: 出典を引用)", "n_sources": "出典の数",
        "documents": "文書", "since": "開始日", "until": "終了日", "language": "言語",
        "citation": "出典の参照", "passage_id": "段落ID", "open": "開く", "read_document": "文書を読む",
        "searching": "コーパスを検索しています…", "answering": "出典が見つかりました。回答を作成しています…",
        "draft": "下書き(出典との照合前)。照合後の回答に置き換わります",
        "busy": "言語モデルは先の質問{ahead}件に回答中です。順番をお待ちください…",
        "abstained": "コーパスにはこの質問への答えがありません", "fallback": "出典の引用に切り替えました",
        "dropped": "出典に裏付けられない文を削除しました",
        "unsure": MESSAGES["unsure_note"]["ja"], "read_as": "前の質問とあわせて読みました",
        "not_cited": "検索結果(引用なし)",
        "no_sources": "出典はありません。", "unknown_id": "不明な段落ID", "reference": "参照",
        "copies": "同じ文が次にもあります",
    },
    "ru": {
        "chat": "Чат", "sources": "Источники", "send": "Спросить", "new_chat": "Новый чат",
        "ask_placeholder": "Задайте вопрос по-русски, 日本語 или English…", "options": "Параметры и фильтры",
        "use_llm": "Использовать языковую модель (выкл.: цитировать источники)", "n_sources": "Число источников",
        "documents": "Документы", "since": "Дата от", "until": "Дата до", "language": "Язык",
        "citation": "Поиск цитаты", "passage_id": "ID фрагмента", "open": "Открыть",
        "read_document": "Читать документ",
        "searching": "Поиск по корпусу…", "answering": "Источники найдены; пишу ответ…",
        "draft": "Черновик, ещё не сверенный с источниками: его заменит проверенный ответ",
        "busy": "Языковая модель занята: вопросов перед вашим — {ahead}; ваш в очереди…",
        "abstained": "В корпусе нет ответа на этот вопрос", "fallback": "Ответ заменён цитатами из источников",
        "dropped": "Удалены предложения, не подтверждённые источниками",
        "unsure": MESSAGES["unsure_note"]["ru"], "read_as": "Вопрос прочитан вместе с предыдущим",
        "not_cited": "найдено, не цитируется",
        "no_sources": "Нет источников.", "unknown_id": "Неизвестный ID фрагмента", "reference": "Ссылка",
        "copies": "Тот же текст также в",
    },
}

I18N = gr.I18n(**TEXTS)


def labels_for(request: gr.Request | None) -> dict[str, str]:
    """Texts in the first of the browser's languages that the UI has, English otherwise."""
    header = (request.headers.get("accept-language", "") if request is not None else "") or ""
    for part in header.split(","):
        lang = part.split(";")[0].strip().lower()[:2]
        if lang in TEXTS:
            return TEXTS[lang]
    return TEXTS["en"]


def busy_note_start(lang: str = "en") -> str:
    """The fixed opening of the model-is-busy note (the text before its count), to spot it in a chat."""
    return TEXTS[lang]["busy"].split("{")[0]
