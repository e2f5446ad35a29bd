"""An answer run into one paragraph is filed where its content moves, not where it began.

Without headings or paragraph breaks, a block's lead-in ("Metrics: ...") holds the units after
it only until one whose own words clearly point elsewhere (a pipeline laid out as a chain of
arrows): the data bullets that follow are filed by their own words, not under the metrics.
"""

import pytest

from simulator.base.settings import load_settings
from simulator.grading.grader import grade_answer
from simulator.grading.types import GradeReport
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.llm.backends import get_chat_model
from tests.support.paths import ROOT

SETTINGS = load_settings()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(ROOT / "knowledge")


def grade(kb: KnowledgeBase, answer: str) -> GradeReport:
    return grade_answer(
        answer,
        kb=kb,
        model=get_chat_model("local", SETTINGS),
        lang="en",
        settings=SETTINGS,
        scenario=kb.scenario("ad_ctr"),
    )


DATA_QUOTE = "split by day: train ≤ D, test D+1."
RUN_TOGETHER = [
    # An outside answer's metrics, pipeline and data run into one paragraph (its headings gone).
    "Metrics Offline: log loss = primary (bid × pCTR → calibration matters, AUC ignores scale); "
    "AUC secondary for ranking quality; calibration ratio Σpred/Σclicks per campaign. "
    "req → candidate ads (targeting, budget pacing) → feature fetch (user 1st-party profile, ad, "
    "ctx) → pCTR model on CPU → auction → serve + log impression. "
    "feats: ad/campaign/advertiser ids, user 1st-party (consented) history, ctx (slot, device, "
    f"hour, geo). downsample negatives (~10%) → fits 4h. {DATA_QUOTE}",
    # The same moves in other words.
    "Metrics: offline we track log loss first because bids multiply pCTR, and AUC second. "
    "request → candidate ads → feature lookup (profile, ad, context) → CTR model on CPU → "
    "auction → serve and log the impression. "
    "signals: advertiser and campaign ids, consented first-party history, slot and device. "
    f"we downsample negatives to about 10% so training fits 4h. {DATA_QUOTE}",
    "Evaluation: log loss as the main offline metric, AUC as a secondary one, calibration per "
    "campaign. ad request → candidate retrieval → feature fetch → pCTR scoring on CPU → auction "
    "→ response + impression log. "
    "inputs: ids of ad, campaign and advertiser hashed, hour and geo context. "
    f"negatives downsampled to ~10% to fit the 4h retrain. {DATA_QUOTE}",
]


@pytest.mark.parametrize("answer", RUN_TOGETHER)
def test_a_lead_in_holds_only_until_the_content_moves_on(kb: KnowledgeBase, answer: str) -> None:
    report = grade(kb, answer)
    assert report.section("data").score >= 1
