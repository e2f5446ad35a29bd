"""Negation in mistake detection: a cue inside a denied clause does not count, an absence stated
as a cue ("no class weights") still does, and other writers' phrasings of the mistakes the
outside-written cases caught are detected while a correct statement of the design is not."""

from functools import cache

import pytest

from simulator.base.sections import Lang
from simulator.kb.knowledge import load_knowledge
from simulator.kb.mistakes import LangCues, Mistake, clauses, detect, load_mistakes, said
from tests.support.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"


@cache
def _catalogue() -> tuple[Mistake, ...]:
    kb = load_knowledge(KNOWLEDGE)
    return tuple(
        load_mistakes(KNOWLEDGE, [p.id for p in kb.passages], [s.id for s in kb.scenarios])
    )


def _made(mistake_id: str, text: str, lang: Lang, scenario: str | None) -> bool:
    return mistake_id in [m.id for m in detect(_catalogue(), text, lang, scenario)]


# --- the rule on its own --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "text", "expected"),
    [
        (("accuracy",), "We do NOT use accuracy here.", False),
        (("accuracy",), "Accuracy we don't report at all.", False),
        (("accuracy",), "We report accuracy.", True),
        # A term that is itself an absence still counts, and a second negation denies it again.
        (("no class weights", "без class weights"), "Plain log loss, no class weights.", True),
        (("no class weights", "без class weights"), "Без class weights не обойтись.", False),
        (("without a baseline",), "We go without a baseline.", True),
        (("baseline",), "We go without a baseline.", False),
        # "without" denies its object only.
        (("slow",), "Without GPUs training over two years of data is slow.", True),
        # Russian negative concord: "никогда не" is one denial, not two.
        (("accuracy",), "Accuracy мы никогда не используем.", False),
        # "not only" denies nothing.
        (("accuracy",), "We track not only accuracy but recall.", True),
        # The denial stops at its clause: a comma, "but", "а", "and" with a new subject.
        (("rewrite the features",), "No feature store, but we rewrite the features in Go.", True),
        (("shadow",), "I won't bother with shadow mode, it goes live at once.", False),
        (("relevance",), "We skip nothing, and we treat clicks as relevance.", True),
        # A short list before a denial is denied with it.
        (("precision",), "Precision, recall and PR curves are not needed.", False),
        (("precision",), "Precision, recall и pr-кривые тут не нужны.", False),
        (("precision",), "Precision, we don't need anything else.", True),
        # Each "no" of a list denies its own item; two different negations cancel out.
        (("ramp",), "No shadow, no ramp.", False),
        (("a/b test",), "We can't launch without an A/B test.", True),
    ],
)
def test_a_term_counts_only_outside_a_denied_clause(
    terms: tuple[str, ...], text: str, *, expected: bool
) -> None:
    assert said(terms, text) is expected


def test_the_negation_of_a_statement_belongs_to_its_own_cues() -> None:
    cues = LangCues(all=[["retrain*"], ["not needed", "не нужно"]])
    assert cues.matches("Retraining is not needed.")
    assert not cues.matches("Retraining is needed weekly, and nothing else.")


def test_a_denied_right_choice_does_not_excuse_the_mistake() -> None:
    cues = LangCues(all=[["all traffic"], ["same day"]], none=["shadow", "ramp"])
    assert cues.matches("No shadow mode, no ramp: all traffic moves on the same day.")
    assert not cues.matches("Shadow mode first, then all traffic on the same day.")


def test_clauses_keep_decimals_and_thousands_whole() -> None:
    assert clauses("threshold 0.5, all 2,000,000 items") == [
        "threshold 0.5",
        " all 2,000,000 items",
    ]


# --- the real catalogue: the phrasings of other writers -------------------------------------------

# (mistake, language, scenario, the outside-written phrasing and two of our own, a correct design)
PHRASINGS: list[tuple[str, Lang, str, list[str], list[str]]] = [
    (
        "metrics.accuracy_on_imbalance",
        "en",
        "payment_fraud",
        ["We'll just use accuracy as the main metric."],
        ["We do NOT use accuracy: with 0.1% fraud it is meaningless, so PR-AUC it is."],
    ),
    (
        "architecture.train_serve_skew",
        "en",
        "ad_ctr",
        [
            "For serving the ad-server team will rewrite the same feature logic in C++ from a "
            "written spec, and I don't think we need anything extra to keep them together.",
            "Then the backend team reimplements the same features in Go for the online service.",
            "The online service gets its own implementation of the same feature logic.",
        ],
        ["Training and serving read the same features from the feature store: one definition."],
    ),
    (
        "data.future_features",
        "en",
        "content_moderation",
        [
            "For features: the number of user reports the post collects in its first 24 hours, "
            "plus how many times it gets shared during that first day.",
            "A strong signal for the upload classifier is how many reports it gets "
            "in its first hour.",
            "I'd use as a feature how many times it gets shared during its first day.",
        ],
        ["Reports and shares come after the upload, so I'd use only what is known at upload time."],
    ),
    (
        "requirements.error_costs_ignored",
        "en",
        "content_moderation",
        [
            "I think false positive and false negative is same bad for us, so threshold 0.5.",
            "A harmful post slipping through and a legit post removed are equally bad outcomes.",
            "Both errors cost the same for us, so 0.5 is fine.",
        ],
        [
            "False positives and false negatives are not equally bad: a missed "
            "harmful post is worse."
        ],
    ),
    (
        "metrics.rmse_without_cost",
        "ru",
        "demand_forecasting",
        [
            "У какой модели RMSE меньше, та и лучше, её и выбираем.",
            "Выбираем модель по MAPE: у какой меньше, ту и берём.",
            "Главная метрика — RMSE по всем рядам, какая модель по ней лучше, та и идёт в прод.",
        ],
        [
            "RMSE сам по себе не подходит: недопрогноз дороже перепрогноза, берём "
            "квантильную потерю."
        ],
    ),
    (
        "model.deep_model_first",
        "en",
        "demand_forecasting",
        [
            "No point spending time on ARIMA or gradient boosting first, I'd go "
            "directly to one big "
            "TFT, the transformer will beat them anyway.",
            "No need for boosting or trees, we start straight with a transformer.",
            "No linear models or boosting, I'd jump to a deep neural forecaster right away.",
        ],
        ["I'd start with gradient boosting as a baseline and only then try a transformer."],
    ),
    (
        "requirements.ranking_as_classification",
        "en",
        "people_you_may_know",
        [
            "I'd frame it as plain binary classification: will they become friends, yes or no, "
            "threshold it at 0.5 and that's the whole objective.",
            "It's simply a binary classifier on user pairs with a 0.5 cut-off; "
            "that's the objective.",
            "Basically a classification problem: friends or not.",
        ],
        ["We rank the candidates by the predicted chance of a friendship and show the top ones."],
    ),
    (
        "serving.offline_metrics_only",
        "en",
        "product_recs",
        [
            "Once it beats the current one on NDCG@10 offline, we switch it on for all users. I "
            "don't see the need for an online experiment when the offline gains are clear.",
            "If NDCG on the held-out logs goes up, we switch it on for all users.",
            "The offline AUC gain is clear, so I see no need for an online test.",
        ],
        ["Offline NDCG picks the candidate; then we run an A/B test before it goes to all users."],
    ),
    (
        "data.clicks_as_ground_truth",
        "ru",
        "search_ranking",
        [
            "Товар в выдаче кликнули — relevant, не кликнули — not relevant, учим "
            "LambdaMART как есть.",
            "Разметка: кликнули — relevant, остальное — irrelevant.",
            "Метки из кликов: кликнул — релевантно, иначе нерелевантно.",
        ],
        ["Клики шумные и смещены позицией, поэтому кликнули — это только слабый сигнал."],
    ),
    (
        "model.too_slow_for_latency",
        "ru",
        "ad_ctr",
        [
            "Беру большой transformer по тексту объявления и прямо в аукционе скорю им каждое "
            "объявление-кандидата.",
            "Возьмём transformer и будем скорить им каждое объявление в аукционе.",
            "BERT по тексту объявления прогоняем онлайн на каждый запрос.",
        ],
        ["Тяжёлый transformer не уложится в 10 мс, поэтому эмбеддинги считаем заранее."],
    ),
    (
        "serving.big_bang_rollout",
        "en",
        "ad_ctr",
        [
            "I'd not bother with shadow mode or a gradual ramp: once the model is ready it goes "
            "live on all auction traffic in all three regions on the same day.",
            "No shadow, no ramp: all users get the new model on the same day.",
            "We flip the switch for all users at once.",
        ],
        ["We start in shadow mode, then ramp from 1% to all traffic over two weeks."],
    ),
    (
        "metrics.roc_auc_only",
        "ru",
        "content_moderation",
        [
            "Оффлайн — только roc-auc на отложенной выборке, он от порога не зависит, так что "
            "precision, recall и pr-кривые тут не нужны.",
            "Оффлайн смотрим только ROC-AUC; precision, recall и PR-кривые не нужны.",
            "Смотрим только ROC-AUC, а precision и recall не нужны.",
        ],
        [
            "ROC-AUC при дисбалансе обманчив, поэтому смотрим PR-AUC и recall при "
            "фиксированной precision."
        ],
    ),
    (
        "metrics.roc_auc_only",
        "en",
        "content_moderation",
        [
            "Offline we only look at ROC AUC; precision, recall and PR curves aren't needed.",
            "ROC AUC is the main metric, we don't need precision or recall.",
        ],
        ["ROC AUC alone is misleading here, so we track PR AUC and recall at a fixed precision."],
    ),
    (
        "data.stockouts_as_zero_demand",
        "en",
        "demand_forecasting",
        [
            "Days when the item was out of stock I keep as they are — zero sales is still a valid "
            "observation and the model should learn from it.",
            "Out-of-stock days stay in the training data as they are, zero sales included.",
            "Zero-sales days during stock-outs are a valid observation, the model "
            "can learn from them.",
        ],
        ["Zero sales on out-of-stock days don't mean zero demand, so I mask those days."],
    ),
    (
        "serving.feedback_loop_ignored",
        "ru",
        "video_feed",
        [
            "Переобучаем каждый день на логах показов и кликов из текущей ленты, и модель сама "
            "себя улучшает со временем.",
            "Дообучаем модель каждую ночь на показах из текущей выдачи.",
            "Учим модель на кликах текущей модели, так она сама себя улучшает.",
        ],
        ["Переобучаем на логах текущей ленты, но добавляем 5% случайной выдачи против петли."],
    ),
    (
        "serving.feedback_loop_ignored",
        "en",
        "video_feed",
        [
            "We retrain nightly on clicks from the current feed, so the model improves itself.",
            "The model keeps learning from the current ranking; the more it shows, "
            "the better it gets.",
        ],
        ["We retrain on the current feed's logs, with 5% random exploration against the loop."],
    ),
    (
        "architecture.heavy_model_all_items",
        "en",
        "product_recs",
        [
            "At request time I'd take the user's embedding and run the deep ranking model over all "
            "2 million products, then return the top 20.",
            "For each user embedding we score all 5 million products with the deep ranker.",
            "Take the user's embedding and rank the whole catalogue with the cross network.",
        ],
        ["The user's embedding queries an ANN index for a few hundred items for the deep ranker."],
    ),
    (
        "requirements.latency_ignored",
        "ru",
        "query_autocomplete",
        [
            "latency тут не критична, пару сотен мс юзер и не заметит, давайте лучше про качество",
            "Задержка тут не критична, пользователь разницы не заметит.",
            "Latency не особо важна, пару сотен мс никто не заметит.",
        ],
        ["Скорость обучения не критична, а вот задержка ответа — в пределах 50 мс."],
    ),
    (
        "metrics.ctr_clickbait",
        "en",
        "video_feed",
        [
            "The thing I'd optimise for and judge the A/B test by is CTR on feed "
            "items — more clicks "
            "means a more engaging feed.",
            "We judge success by CTR: more clicks means better recommendations.",
            "The primary metric to judge the model by is click-through rate.",
        ],
        ["CTR alone rewards clickbait, so we judge the feed by watch time, CTR is a guardrail."],
    ),
]


@pytest.mark.parametrize(
    ("mistake_id", "lang", "scenario", "hits", "misses"),
    PHRASINGS,
    ids=[f"{p[0]}-{p[1]}" for p in PHRASINGS],
)
def test_other_writers_phrasings_are_detected_and_the_right_design_is_not(
    mistake_id: str, lang: Lang, scenario: str, hits: list[str], misses: list[str]
) -> None:
    missed = [t for t in hits if not _made(mistake_id, t, lang, scenario)]
    flagged = [t for t in misses if _made(mistake_id, t, lang, scenario)]
    assert not missed, f"not detected: {missed}"
    assert not flagged, f"detected on a right design: {flagged}"
