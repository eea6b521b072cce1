"""Language detection by script."""

import pytest

from index.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("日本とトルクメニスタンの条約はいつ発効しましたか", "ja"),
        ("GOSATシリーズを利用した協力", "ja"),
        ("Кто председательствовал на диалоге?", "ru"),
        ("Министр энергетики (GOSAT, LLDC3)", "ru"),
        ("When did the treaty enter into force?", "en"),
        ("2025-11-27", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_default_when_no_letters():
    assert detect_language("123 456", default="xx") == "xx"
