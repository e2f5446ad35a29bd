"""The closing line gives the overall score the way the interview's language writes numbers."""

import re
from pathlib import Path

import pytest

from simulator.base.sections import Lang
from simulator.base.settings import load_settings
from simulator.services import open_interviewer


@pytest.mark.parametrize(("lang", "finish", "number"), [
    ("en", "I'm done, let's finish the interview.", r"\d\.\d\d out of 4"),
    ("ru", "Я закончил, давайте завершим интервью.", r"\d,\d\d из 4"),
])  # fmt: skip
def test_the_overall_in_the_closing_line_follows_the_language(
    tmp_path: Path, lang: Lang, finish: str, number: str
) -> None:
    iv = open_interviewer(load_settings(data_dir=tmp_path))
    session = iv.start("product_recs", lang)
    "".join(iv.reply(session, "Offline recall@50 and NDCG@10; online CTR in an A/B test."))
    closing = "".join(iv.reply(session, finish))
    assert session.status == "finished"
    assert re.search(number, closing), closing
