"""The metamorphic variants keep what they promise: the same content, or one change only."""

import re

from evals import datasets, metamorphic

PARTS = [
    {"section": "requirements", "text": "## Reqs\n- 8M payments/day\n- 50 ms budget"},
    {"section": "metrics", "text": "**Metrics**\n1. PR-AUC offline\n2) chargeback rate online"},
    {"section": "data", "text": "Labels from chargebacks; split by time."},
]


def _words(text: str) -> list[str]:
    """Content words: list markers ("1.", "2)") and Markdown punctuation set aside."""
    return [
        w.strip(".").lower()
        for w in text.split()
        if w.strip("#*.-|") and not re.fullmatch(r"\d+[.)]", w)
    ]


def test_formats_keep_every_content_word() -> None:
    content = set(_words(metamorphic.without_headings(metamorphic.joined(PARTS))))
    for name, form in metamorphic.FORMATS.items():
        text = form(PARTS, "seed")
        assert content <= set(_words(text)), name
    assert "##" not in metamorphic.without_headings(metamorphic.joined(PARTS))
    assert "\n" not in metamorphic.one_paragraph(metamorphic.joined(PARTS))
    assert "- 8M" not in metamorphic.as_prose(metamorphic.joined(PARTS))


def test_ablation_removes_one_section_only() -> None:
    text = metamorphic.ablated(PARTS, "metrics")
    assert "PR-AUC" not in text and "8M" in text and "chargebacks" in text


def test_negation_replaces_the_first_part_of_a_section() -> None:
    text = metamorphic.negated(PARTS, {"data": "Random split; labels from a survey."})
    assert "Random split" in text and "split by time" not in text and "PR-AUC" in text


def test_padding_adds_about_the_words_asked_and_keeps_the_answer() -> None:
    filler = ["Data quality matters a lot.", "Metrics should be chosen well."]
    text = metamorphic.padded("CORE ANSWER", filler, 300, "s")
    assert "CORE ANSWER" in text and 300 <= len(text.split()) <= 320


def test_hidden_text_is_invisible_markup() -> None:
    text = metamorphic.hidden("answer", "AUC F1")
    assert "<!-- AUC F1 -->" in text and 'display:none">AUC F1<' in text


def test_outside_answers_are_well_formed_and_split_by_writer() -> None:
    sections = {"requirements", "metrics", "architecture", "data", "model", "serving"}
    ids: dict[str, set[str]] = {}
    for split in datasets.SPLITS:
        cases = datasets.load("outside_answers", split).cases
        ids[split] = {c["id"] for c in cases}
        assert len(cases) >= 12, split
        for case in cases:
            assert {p["section"] for p in case["parts"]} <= sections, case["id"]
            assert set(case["coverage"]) == sections, case["id"]
            assert set(case.get("wrong_parts", {})) <= {p["section"] for p in case["parts"]}
    assert not ids["tune"] & ids["heldout"]
