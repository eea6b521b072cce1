"""The extractive abstention test: expected answer kinds, entity kinds per script, question names."""

from __future__ import annotations

import pytest

from index.document import Passage
from rag.answerability import expected_kind
from rag.entities import entity_kinds
from rag.extractive import Quote, choose_quotes


def answers_question(question: str, sentence: str, source: Passage) -> str | None:
    """None when the quote chooser would quote ``sentence`` of ``source``; else its reason."""
    return choose_quotes(question, [Quote(1, sentence, 1.0)], [source])[1]


def passage(text: str, lang: str, date: str = "2024-05-01") -> Passage:
    return Passage(id="d#p1", doc_id="d", doc="d.txt", n=1, text=text, start=0, end=len(text), date=date, lang=lang)


@pytest.mark.parametrize("question, kind", [
    ("Which Norwegian company built the bridge?", "org"),
    ("Через какую организацию выделяются гранты?", "org"),
    ("Какое издание опубликовало интервью?", "org"),
    ("Which news outlet reported the visit?", "org"),
    ("Кто возглавил делегацию?", "person"),
    ("会議はいつ開かれましたか？", "date"),
    ("In which city was the forum held?", "place"),
    ("What did the sides agree on?", None),
    ("On the sidelines of which meeting did the ministers talk?", "event"),
    ("На полях какого саммита прошли переговоры?", "event"),
    ("訪問はどのイベントに際して行われましたか？", "event"),
    ("When was the forum held?", "date"),
    ("What were the main topics of the third energy forum?", "topic"),
    ("What was discussed at the meeting?", "topic"),
    ("Каким вопросам было уделено внимание на встрече?", "topic"),
    ("Что обсуждали министры в Осло?", "topic"),
    ("第3回会合ではどのような問題が取り上げられましたか？", "topic"),
    ("Which agenda guides the cooperation?", None),  # a named agenda, not what was discussed
    ("Какие спутники используются в сотрудничестве по вопросам климата?", None),
])
def test_expected_kind(question, kind):
    assert expected_kind(question) == kind


@pytest.mark.parametrize("sentence, present, absent", [
    # countries and regions are capitalised in Russian but are no persons
    ("Делегация включала представителей стран Южной Америки и Канады:", set(), {"person"}),
    ("Министр финансов Норвегии Ингвар Хансен;", {"person"}, set()),
    ("Заместитель министра Кэндзи Ватанабэ;", {"person"}, set()),  # unknown foreign name pair
    ("Председатель правления «Нефтегазпром» выступил с докладом.", {"org"}, set()),
    ("双方は、国際協力機構を通じた技術協力の重要性を確認した。", {"org"}, {"person"}),
    ("シュテファン・ミュラー首相は、ベルリンにおいて会談した。", {"person", "place"}, set()),
    ("ノルウェー・オスロ州における工場の建設契約。", {"place"}, {"person"}),  # place names joined by ・
])
def test_entity_kinds(sentence, present, absent):
    kinds = entity_kinds(sentence)
    assert present <= kinds and not (absent & kinds)


@pytest.mark.parametrize("sentence, named", [
    ("2024年5月1日、「北欧+日本」対話・第2回外相会合の機会に、両外相は会談した。", True),
    ("大阪・関西万博に際する首相の訪日期間中に発出された。", True),
    ("Форум «Неделя энергетики» прошёл в Осло.", True),
    ("Министры встретились на полях саммита G20 в Риме.", True),
    ("The visit coincided with the Nordic Energy Summit in Oslo.", True),
    ("Встреча собрала представителей стран Северной Европы:", False),  # an event, but no name
    ("国際中立デーを記念する国際フォーラムの開催の成功を高く評価した。", False),
    ("The meeting was held in the capital.", False),
])
def test_an_event_answer_must_name_the_event(sentence, named):
    question = "On the sidelines of which meeting did they talk?"
    assert (answers_question(question, sentence, passage(sentence, "en")) is None) == named


def test_a_date_of_the_question_must_be_in_the_passage():
    question = "Which event was the prime minister's April 2024 visit tied to?"
    later = "2024年12月20日、「北欧+日本」対話・第1回首脳会合の機会に会談した。"
    assert "date" in answers_question(question, later, passage(later, "ja"))
    april = "大阪・関西万博に際する首相の訪日期間中の2024年4月15日に発出された。"
    assert answers_question(question, april, passage(april, "ja")) is None
    relative = "本年4月に大阪・関西万博を訪れた。"  # 本年 resolves through the document's date
    assert answers_question(question, relative, passage(relative, "ja", date="2024-12-20")) is None


def test_a_sentence_without_the_asked_kind_does_not_answer():
    text = "Делегация включала представителей стран Южной Америки и Канады:"
    reason = answers_question("Кто представлял Канаду?", text, passage(text, "ru"))
    assert reason and "person" in reason


def test_a_passage_that_could_name_the_questions_subject_but_does_not_is_not_an_answer():
    text = "2024年5月1日、山田首相はノルウェーの首相と会談した。"
    assert answers_question("会談にスウェーデンから参加したのは誰ですか？", text, passage(text, "ja")) is not None
    assert answers_question("会談にノルウェーから参加したのは誰ですか？", text, passage(text, "ja")) is None
    assert answers_question("Who met the prime minister? Any names?", "Ola Nordmann met him.",
                            passage("Ola Nordmann met him.", "en")) is None  # "Any" starts a sentence
    # a passage naming something called after the question's subject may answer it ...
    text = "Государственный министр, председатель концерна «Норвегнефть» Ола Нордман"
    assert answers_question("Кто представлял Норвегию?", text, passage(text, "ru")) is None
    # ... one naming only other countries may not
    text = "Министр энергетики Швеции Ула Свенссон"
    assert answers_question("Кто представлял Норвегию?", text, passage(text, "ru")) is not None
    # a name in another script cannot be checked against this passage, so it is no reason to abstain
    assert answers_question("Who met the prime minister of Norway?", text, passage(text, "ja")) is None


@pytest.mark.parametrize("sentence, is_place", [
    ("Форум прошёл в Бергене в мае.", True),
    ("Завод построят в Северном велаяте.", True),
    ("Первая встреча, инициированная Норвегией в 2023 году, заложила основу.", False),
    ("Делегации стран Азии обсудили тарифы.", False),
])
def test_a_russian_toponym_is_a_place_answer_only_where_it_says_where(sentence, is_place):
    assert ("place" in entity_kinds(sentence)) is is_place


def test_a_katakana_place_must_be_spelt_by_a_russian_passage():
    canada = "Министр энергетики Канады Джон Смит;"
    sweden = "Министр энергетики Швеции Ула Свенссон;"
    question = "会議にカナダから参加したのは誰ですか？"
    assert answers_question(question, canada, passage(canada, "ru")) is None
    assert "カナダ" in answers_question(question, sweden, passage(sweden, "ru"))
    # a loanword is no name: nothing to spell
    text = "Министр Джон Смит поддержал проекты по возобновляемой энергетике."
    assert answers_question("再生可能エネルギーのプロジェクトを支援したのは誰ですか？", text, passage(text, "ru")) is None


def test_the_quote_bar_is_set_by_passages_about_what_the_question_names():
    sweden = passage("Министр энергетики Швеции Ула Свенссон;", "ru")
    canada = passage("Министр энергетики Канады Джон Смит;", "ru")
    ranked = [Quote(1, sweden.text, 0.50), Quote(2, canada.text, 0.40)]
    quotes, reason = choose_quotes("会議にカナダから参加したのは誰ですか？", ranked, [sweden, canada])
    assert [q.n for q in quotes] == [2] and reason is None
    # a passage on another instance ("the second meeting" for "the third") sets the bar: a near miss
    second = passage("На втором совещании выступил министр Ула Свенссон.", "ru")
    third = passage("На третьем совещании выступил министр Джон Смит.", "ru")
    quotes, reason = choose_quotes("Кто выступил на третьем совещании?",
                                   [Quote(1, second.text, 0.50), Quote(2, third.text, 0.40)], [second, third])
    assert quotes == [] and "3" in reason


@pytest.mark.parametrize("sentence, says_what_was_discussed", [
    ("Основное внимание было уделено вопросам водных ресурсов и гидроэнергетики.", True),
    ("Участники обсудили использование технологий улавливания углерода.", True),
    ("The ministers focused on grid interconnection and storage.", True),
    ("会合では、水素サプライチェーンについて意見交換を行った。", True),
    ("Второй форум укрепил эти усилия, подтвердив важность совместной работы.", False),
    ("双方は、第3回会合の開催と、同会合で提示された行動計画を歓迎した。", False),
])
def test_a_topic_answer_says_what_was_discussed(sentence, says_what_was_discussed):
    question = "What were the main topics of the forum?"
    assert (answers_question(question, sentence, passage(sentence, "en")) is None) == says_what_was_discussed


def test_the_documents_opening_says_which_instance_its_paragraphs_report():
    opening = "В Осло прошёл Третий форум по энергетике стран Северной Европы."
    body = passage("Основное внимание было уделено вопросам водных ресурсов.", "ru")
    ranked = [Quote(1, body.text, 0.6)]
    question = "Каким вопросам было уделено основное внимание на третьем форуме?"
    assert "3" in choose_quotes(question, ranked, [body])[1]  # the paragraph alone does not say "third"
    quotes, reason = choose_quotes(question, ranked, [body], openings={"d": opening})
    assert [q.n for q in quotes] == [1] and reason is None
    # an opening on another instance does not help
    assert "3" in choose_quotes(question, ranked, [body], openings={"d": opening.replace("Третий", "Второй")})[1]
