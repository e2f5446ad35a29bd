"""One turn of the conversation on screen: the words as written, and what to know about them."""

import streamlit as st

from simulator.base.numbers import format_number
from simulator.base.sections import Lang
from simulator.interview.session import Turn
from simulator.llm.tokens import estimate_cost
from simulator.ui.plain import inert
from simulator.ui.text import t


def show_turn(turn: Turn, lang: Lang, *, real_model: bool) -> None:
    """A chat bubble with the turn's text parsed as nothing (no Markdown, HTML or LaTeX: what
    the candidate typed, and the interviewer's replies that quote it, show as typed), its notice
    (a message cut, a fact held back) and, on a real model, the tokens the turn used."""
    candidate = turn.role == "candidate"
    with st.chat_message("user" if candidate else "assistant"):
        st.text(turn.text, width="stretch")
        if turn.notice:
            (st.warning if candidate else st.caption)(inert(turn.notice))
        if real_model and turn.tokens is not None:
            key = "tokens.turn_estimated" if turn.tokens.approximate else "tokens.turn"
            st.caption(
                t(
                    key,
                    lang,
                    input=count(turn.tokens.input, lang),
                    output=count(turn.tokens.output, lang),
                )
            )


def show_cost(spec: str, input_tokens: int, output_tokens: int, lang: Lang) -> None:
    """The interview's tokens so far and their estimated cost (when the model has a price)."""
    used = {"input": count(input_tokens, lang), "output": count(output_tokens, lang)}
    st.caption(t("tokens.total", lang, **used))
    cost = estimate_cost(spec, input_tokens, output_tokens)
    if cost is not None:
        st.caption(t("tokens.cost", lang, cost=format_number(cost, lang, 4)))


def count(n: int, lang: Lang) -> str:
    """A whole number grouped the language's way: 12,345 in English, 12 345 in Russian."""
    grouped = f"{n:,}"
    return grouped.replace(",", "\u202f") if lang == "ru" else grouped
