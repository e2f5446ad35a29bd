"""Token counts (cached tiktoken file or calibrated estimate), trimming, cost, usage totals."""

import base64
import dataclasses
import hashlib
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public
from langchain_core.messages import AIMessage

from simulator.llm import tokens
from simulator.llm.tokens import (
    MESSAGE_OVERHEAD,
    USAGE_IS_ESTIMATE,
    TokenCount,
    Usage,
    count_tokens,
    encoding_name,
    estimate_cost,
    fit_history,
    tiktoken_cache_dir,
    truncate_to_tokens,
)

# Measured once with the real o200k_base encoding (gpt-4o family), rebuilt offline.
REFERENCE_O200K = [
    (
        "Before choosing a model, ask how much labelled data exists, what latency the product "
        "can tolerate, and how often the model must be retrained.",
        29,
    ),
    (
        "Прежде чем выбирать модель, уточните объём размеченных данных, допустимую задержку "
        "ответа и то, как часто модель нужно переобучать.",
        33,
    ),
    (
        "<task>grade</task>\n<candidate_answer>\nМы начнём с baseline: самые популярные товары, "
        "затем логистическая регрессия и градиентный бустинг (LightGBM).\n</candidate_answer>",
        47,
    ),
    (
        '{"id": "data.imbalance", "terms": ["SMOTE", "downsampl*", "class weights"], '
        '"section": "data"}',
        31,
    ),
]


@pytest.fixture(autouse=True)
def no_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty tiktoken cache of our own, and any attempt to fetch a file fails the test."""

    def refuse(blobpath: str) -> bytes:
        raise AssertionError(f"tried to download {blobpath}")

    monkeypatch.setattr(tiktoken.load, "read_file", refuse)
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    return cache


def small_encoding() -> tiktoken.Encoding:
    """A real BPE with o200k's split pattern and a handful of merges: "hello" is one token."""
    ranks = {bytes([b]): b for b in range(256)}
    for merged in (b"he", b"ll", b"llo", b"hello", b" w", b"or", b" wor", b"ld", b" world"):
        ranks[merged] = len(ranks)
    pat_str = tokens._ENCODINGS["o200k_base"].pat_str
    return tiktoken.Encoding(
        name="small", pat_str=pat_str, mergeable_ranks=ranks, special_tokens={}
    )


def place_in_cache(
    cache: Path, encoding: tiktoken.Encoding, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Write the encoding where tiktoken caches o200k_base, and accept its hash as o200k's."""
    data = b"".join(
        base64.b64encode(token) + b" " + str(rank).encode() + b"\n"
        for token, rank in sorted(encoding._mergeable_ranks.items(), key=lambda item: item[1])
    )
    spec = tokens._ENCODINGS["o200k_base"]
    path = cache / hashlib.sha1(spec.url.encode()).hexdigest()
    path.write_bytes(data)
    monkeypatch.setitem(
        tokens._ENCODINGS,
        "o200k_base",
        dataclasses.replace(spec, sha256=hashlib.sha256(data).hexdigest()),
    )
    return path


def test_exact_count_when_the_encoding_is_in_the_cache(
    no_download: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoding = small_encoding()
    place_in_cache(no_download, encoding, monkeypatch)
    text = "hello world, hello again"
    count = count_tokens(text, "gpt-4o-mini")
    assert count == TokenCount(len(encoding.encode(text)), approximate=False)
    assert count_tokens("hello", "gpt-4o").tokens == 1


def test_a_cached_file_with_the_wrong_hash_is_not_trusted_nor_deleted(
    no_download: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = place_in_cache(no_download, small_encoding(), monkeypatch)
    path.write_bytes(path.read_bytes()[:-20])  # truncated
    assert count_tokens("hello world").approximate is True
    assert path.exists()


def test_without_a_cached_file_the_estimate_is_flagged_and_calibrated() -> None:
    for text, real in REFERENCE_O200K:
        count = count_tokens(text, "gpt-4o-mini")
        assert count.approximate is True
        assert abs(count.tokens - real) <= 0.2 * real, (text, count.tokens, real)


def test_russian_costs_more_tokens_per_character_with_older_encodings() -> None:
    russian = REFERENCE_O200K[1][0]
    assert count_tokens(russian, "gpt-4").tokens > 1.4 * count_tokens(russian, "gpt-4o").tokens


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("openai:gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("llama3.1", "o200k_base"),
        ("local", "o200k_base"),
    ],
)
def test_encoding_per_model(model: str, name: str) -> None:
    assert encoding_name(model) == name


def test_copied_patterns_urls_and_hashes_match_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """tokens.py copies what tiktoken_ext hands out only with the ranks; check the copies."""
    asked: dict[str, tuple[str, str | None]] = {}

    def fake_load(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        asked["last"] = (url, expected_hash)
        return {}

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", fake_load)
    for name in ("o200k_base", "cl100k_base"):
        spec = getattr(openai_public, name)()
        ours = tokens._ENCODINGS[name]
        assert ours.pat_str == spec["pat_str"]
        assert asked["last"] == (ours.url, ours.sha256)


def test_cache_dir_follows_tiktoken_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "b"))
    assert tiktoken_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR")
    assert tiktoken_cache_dir() == tmp_path / "b"
    monkeypatch.delenv("DATA_GYM_CACHE_DIR")
    default = tiktoken_cache_dir()
    assert default is not None and default.name == "data-gym-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert tiktoken_cache_dir() is None  # caching disabled: always estimate


def test_truncate_to_tokens_keeps_the_longest_prefix_that_fits() -> None:
    text = REFERENCE_O200K[0][0]
    cut = truncate_to_tokens(text, 10)
    assert text.startswith(cut)
    assert count_tokens(cut).tokens <= 10 < count_tokens(text[: len(cut) + 1]).tokens
    assert truncate_to_tokens("short", 10) == "short"


# --- fitting a conversation into a budget ----------------------------------------------------

TURNS = [
    (
        "interviewer" if i % 2 == 0 else "candidate",
        f"Turn {i}: " + "we discuss the ranking model " * 5,
    )
    for i in range(20)
]


def cost(texts: list[str]) -> int:
    return sum(count_tokens(t).tokens + MESSAGE_OVERHEAD for t in texts)


def test_everything_is_kept_when_it_fits() -> None:
    kept, older = fit_history(TURNS[:3], 10_000, fixed=["system prompt"])
    assert (kept, older) == (TURNS[:3], [])


def test_trimming_keeps_system_scenario_recent_turns_and_summary_within_budget() -> None:
    system = "You are the interviewer of an ML system design interview. " * 3
    scenario = "<scenario>\nRecommend products on a marketplace with 10M users.\n</scenario>"
    budget, summary_tokens = 500, 80
    kept, older = fit_history(
        TURNS, budget, fixed=[system, scenario], summary_tokens=summary_tokens
    )
    assert older and kept
    assert older + kept == TURNS  # the most recent turns are kept, in order
    assert cost([system, scenario]) + summary_tokens + cost([t for _, t in kept]) <= budget
    one_more = older[-1:] + kept
    assert cost([system, scenario]) + summary_tokens + cost([t for _, t in one_more]) > budget


def test_the_newest_turn_is_kept_even_when_alone_over_budget() -> None:
    kept, older = fit_history(TURNS, 5)
    assert kept == TURNS[-1:] and older == TURNS[:-1]


# --- cost and usage ---------------------------------------------------------------------------


def test_cost_estimate_per_model() -> None:
    assert estimate_cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert estimate_cost("openai:gpt-4o", 2_000, 1_000) == pytest.approx(0.015)
    # A dated name takes its longest listed prefix: gpt-4o-mini's price, not gpt-4o's.
    assert estimate_cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert estimate_cost("local", 5_000, 5_000) == 0.0
    assert estimate_cost("llama3.1", 5_000, 5_000) is None
    assert estimate_cost("mine", 1_000_000, 0, prices={"mine": (1.0, 2.0)}) == pytest.approx(1.0)


def test_usage_adds_reported_and_counted_tokens() -> None:
    usage = Usage(model_name="openai:gpt-4o-mini")
    reported = AIMessage(
        "ok", usage_metadata={"input_tokens": 1000, "output_tokens": 200, "total_tokens": 1200}
    )
    usage.add_message(reported, "prompt")
    assert (usage.input_tokens, usage.output_tokens, usage.approximate) == (1000, 200, False)
    usage.add_message(AIMessage("a reply with no usage"), "a prompt")
    assert usage.input_tokens == 1000 + count_tokens("a prompt").tokens
    assert usage.approximate is True  # counted by estimate: no tiktoken file here
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.cost() == pytest.approx(
        estimate_cost("gpt-4o-mini", usage.input_tokens, usage.output_tokens)
    )


def test_usage_keeps_the_estimate_flag_of_our_own_models() -> None:
    usage = Usage()
    usage.add_message(
        AIMessage(
            "x",
            usage_metadata={"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
            response_metadata={USAGE_IS_ESTIMATE: True},
        ),
        "p",
    )
    assert usage.approximate and usage.cost() == 0.0
