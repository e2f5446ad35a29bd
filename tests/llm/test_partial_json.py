"""Streaming a structured reply: the head fields first, then the reply text as it is written."""

import json
import random

import pytest

from simulator.llm.partial_json import ReplyStream

HEAD = frozenset({"kind", "ids"})
REPLY = 'Hi "there"\n — привет 😀 \\ end'


@pytest.mark.parametrize("ascii_only", [True, False])
def test_any_split_of_the_json_gives_back_the_reply_and_the_head(ascii_only: bool) -> None:
    raw = json.dumps({"kind": "fact", "ids": ["a", "b"], "reply": REPLY}, ensure_ascii=ascii_only)
    for seed in range(100):
        rnd = random.Random(seed)
        stream, out, at = ReplyStream("reply", HEAD), "", 0
        while at < len(raw):
            step = rnd.randint(1, 7)
            out += stream.feed(raw[at : at + step])
            at += step
        assert out == REPLY and stream.closed
        assert stream.head == {"kind": "fact", "ids": ["a", "b"]}


def test_every_single_cut_point_works_with_surrogate_pairs() -> None:
    raw = json.dumps({"kind": "x", "ids": [], "reply": "a😀b"}, ensure_ascii=True)
    for cut in range(len(raw)):
        stream = ReplyStream("reply", HEAD)
        assert stream.feed(raw[:cut]) + stream.feed(raw[cut:]) == "a😀b"


def test_nothing_streams_while_a_head_field_is_missing() -> None:
    stream = ReplyStream("reply", HEAD)
    assert stream.feed(json.dumps({"kind": "x", "reply": "hello"})) == ""
    assert stream.started and stream.head is None


def test_a_reply_written_first_waits_for_the_end() -> None:
    stream = ReplyStream("reply", HEAD)
    assert stream.feed('{"reply": "hello", "kind": "x", "ids": []}') == ""


def test_the_word_reply_inside_another_value_is_not_the_field() -> None:
    raw = json.dumps({"kind": 'say "reply": "no"', "ids": [], "reply": "yes"})
    stream = ReplyStream("reply", HEAD)
    assert stream.feed(raw) == "yes"
