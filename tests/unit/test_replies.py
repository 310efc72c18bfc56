"""A turn's replies: joined into as few messages as fit, and what a card tap's answer carries."""

from __future__ import annotations

from bot.teams.handler import CARD_CONTENT_TYPE, MESSAGE_CONTENT_TYPE, invoke_body
from dialogs.turn import Outcome, Reply, joined

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": []}
OTHER = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "2"}]}


def test_texts_run_together_and_a_card_goes_under_its_text() -> None:
    replies = [Reply(text="Ohjeet"), Reply(text="Lisää", speak="Lisää"), Reply(card=CARD)]
    assert joined(replies) == [Reply(text="Ohjeet\n\nLisää", card=CARD, speak="Lisää")]


def test_a_card_is_never_merged_with_another_card_or_the_text_after_it() -> None:
    replies = [Reply(card=CARD), Reply(text="Sitten"), Reply(card=OTHER), Reply(card=CARD)]
    assert joined(replies) == [
        Reply(card=CARD),
        Reply(text="Sitten", card=OTHER),
        Reply(card=CARD),
    ]


def test_nothing_to_join() -> None:
    assert joined([]) == []
    assert joined([Reply(text="Moi")]) == [Reply(text="Moi")]


def test_a_card_update_answers_the_tap_and_the_replies_are_sent() -> None:
    body, rest = invoke_body(Outcome(replies=[Reply(text="a"), Reply(text="b")], card_update=CARD))
    assert body == {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": CARD}
    assert rest == [Reply(text="a\n\nb")]


def test_a_text_answer_is_the_taps_message() -> None:
    body, rest = invoke_body(Outcome(replies=[Reply(text="Kiitos")]))
    assert body == {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": "Kiitos"}
    assert rest == []


def test_an_answer_with_a_card_is_sent_not_dropped() -> None:
    # the guide after "a problem with sound or picture": its card must reach the person
    body, rest = invoke_body(Outcome(replies=[Reply(text="Tässä ohje"), Reply(card=CARD)]))
    assert body == {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": "Tässä ohje"}
    assert rest == [Reply(text="Tässä ohje", card=CARD)]


def test_a_card_without_text_still_answers_the_tap_in_words() -> None:
    # an empty banner tells the person nothing happened: the card's own words are said instead
    spoken = {**OTHER, "speak": "Millä laitteella käytät Teamsia?"}
    body, rest = invoke_body(Outcome(replies=[Reply(card=spoken)]))
    assert body["type"] == MESSAGE_CONTENT_TYPE
    assert body["value"] == "Millä laitteella käytät Teamsia?"
    assert rest == [Reply(card=spoken)]
    body, _ = invoke_body(Outcome(replies=[Reply(card=OTHER)]))
    assert body["value"] == "2"
