"""The interviewer: each turn is one model call with the whole context; code keeps the guards.

One turn goes in two steps, so a failure in the second never loses the first:
1. `accept` cleans the candidate's message and saves it.
2. `respond` asks the model for a `TurnDecision` (what the message was, facts told, the section
   now, points covered, mistakes noticed) and streams its reply as it is written; the decision
   passes the guards, then the interviewer turn and the state it changes are saved together.
   After a ModelError the candidate turn is already saved and `respond` can be called again.
`reply` does both. The UI passes its iterator to `st.write_stream`; the CLI prints the chunks.

The guards, each visible when it acts (a notice on the turn):
- a hidden fact goes out only when the candidate asked about its topic;
- the reply never names a solution term the candidate has not used themselves (the deny-list);
- the interview ends only when the candidate asks, time is up, or every section has had the
  candidate's content; the last message's content is always graded;
- credit for asking comes from what the candidate asked, never from what was volunteered.
"""

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from langchain_core.language_models import BaseChatModel

from simulator.base.numbers import format_number
from simulator.base.sanitize import MESSAGE_LIMIT, clean_message
from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang, SectionId
from simulator.base.settings import Settings
from simulator.base.textnorm import Terms
from simulator.grading.grader import grade_answer
from simulator.grading.types import GradeReport
from simulator.interview import turn_context
from simulator.interview.history import HistorySummary, compact_history
from simulator.interview.reply_filter import Screened, screen
from simulator.interview.session import (
    DIFFICULTY_MINUTES,
    GRADED_KINDS,
    Difficulty,
    InterviewSession,
    Turn,
    TurnTokens,
    now_utc,
)
from simulator.kb.cues import InterviewCues, compile_cues
from simulator.kb.knowledge import KnowledgeBase, Scenario
from simulator.kb.lexicon import lexicon
from simulator.kb.mistakes import MISTAKES_DIR, Mistake, load_mistakes
from simulator.kb.phrases import load_denylist, load_phrases
from simulator.llm.calls import Streamed, ask_local, stream_structured
from simulator.llm.prompting import block, render, untrusted_block
from simulator.llm.tasks.classify import MessageAnalysis
from simulator.llm.tasks.interviewer_turn import TurnDecision, TurnState
from simulator.llm.tokens import Usage, count_tokens

TIME_WARNING_SHARE = 0.8
"""Say that time is running out once this share of the budget is spent."""
IDLE_CAP_SECONDS = 15 * 60
"""A longer gap between messages counts as a pause (the session was left and resumed later)."""
REPLY_RESERVE_TOKENS = 1000
"""Room left in the model's window for the decision and its reply."""
GROUNDING_PASSAGES = 2
"""Cheat-sheet passages retrieved for what was just said: enough to ground a question."""


class PassageHit(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...


class PassageSearch(Protocol):
    """What the interviewer needs of `simulator.retrieval.index.Retriever`."""

    def search(
        self, query: str, k: int = 3, lang: Lang | None = None, section: SectionId | None = None
    ) -> Sequence[PassageHit]: ...


class SessionSink(Protocol):
    """Where turns are saved (`simulator.interview.store.SessionStore`)."""

    def create(self, session: InterviewSession) -> None: ...
    def append_turn(self, session: InterviewSession) -> None: ...


class Interviewer:
    def __init__(
        self,
        *,
        kb: KnowledgeBase,
        model: BaseChatModel,
        settings: Settings,
        retriever: PassageSearch | None = None,
        store: SessionSink | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.kb = kb
        self.model = model
        self.settings = settings
        self.retriever = retriever
        self.store = store
        self.clock = clock
        self.phrases = load_phrases(settings.prompts_dir.resolve())
        self.deny = load_denylist(settings.prompts_dir.resolve())
        self.watch = _watch_list(kb, settings)
        self._cues: dict[tuple[str, Lang], InterviewCues] = {}

    # ----- session lifecycle -------------------------------------------------------------------

    def start(
        self,
        scenario_id: str,
        lang: Lang,
        model_spec: str = "local",
        difficulty: Difficulty | None = None,
    ) -> InterviewSession:
        """A new session that opens with the scenario's vague prompt and nothing else; its time
        budget comes from `difficulty`, or from settings when there is none."""
        scenario = self._scenario(scenario_id)
        now = self.clock()
        session = InterviewSession(
            scenario_id=scenario.id,
            lang=lang,
            model=model_spec,
            started_at=now,
            last_activity=now,
            difficulty=difficulty,
            time_budget_minutes=(
                DIFFICULTY_MINUTES[difficulty] if difficulty else self.settings.interview_minutes
            ),
        )
        opening = " ".join([scenario.prompt(lang), self.phrases("invite_questions", lang)])
        session.turns.append(
            Turn(role="interviewer", text=opening, section="requirements", kind="opening", at=now)
        )
        if self.store is not None:
            self.store.create(session)
        return session

    def reply(self, session: InterviewSession, message: object) -> Iterator[str]:
        """Take the candidate's message and stream the interviewer's answer (exhaust it)."""
        notice = self.accept(session, message)
        if notice:
            yield notice
        if session.awaiting_reply():
            if notice:
                yield " "
            yield from self.respond(session)

    def accept(self, session: InterviewSession, message: object) -> str | None:
        """Clean and save the candidate's message; returns a notice to show, if any.

        An empty message, or one sent after the end, is not saved: the notice says why.
        """
        lang = session.lang
        if session.status == "finished":
            return self.phrases("finished", lang)
        clean = clean_message(message)
        if clean.empty:
            return self.phrases("empty_message", lang)
        self._tick(session)
        notice = (
            self.phrases("notice.truncated", lang, limit=MESSAGE_LIMIT) if clean.truncated else None
        )
        self._append(
            session,
            Turn(
                role="candidate",
                text=clean.text,
                section=session.current_section,
                kind="message",
                at=session.last_activity or self.clock(),
                notice=notice,
            ),
        )
        return notice

    def respond(self, session: InterviewSession) -> Iterator[str]:
        """Answer the last candidate turn; safe to call again after a ModelError."""
        if not session.awaiting_reply():
            return
        turn = session.turns[-1]
        budget = session.time_budget_minutes * 60
        if session.active_seconds >= budget:
            turn.kind = "answer"  # the last message is graded whatever it was
            yield from self._close(session, "time_up", said="")
            return
        prefix = ""
        if not session.time_warned and session.active_seconds >= TIME_WARNING_SHARE * budget:
            prefix = self.phrases("time_warning", session.lang, minutes=self._minutes_left(session))
            session.time_warned = True
            yield prefix + " "
        yield from self._decide_and_say(session, turn, prefix)

    def finish(self, session: InterviewSession) -> Iterator[str]:
        """End the interview now (the script ran out, the UI's finish button): grade and close."""
        if session.status == "active":
            yield from self._close(session, "", said="")

    # ----- one turn ----------------------------------------------------------------------------

    def _decide_and_say(self, session: InterviewSession, turn: Turn, prefix: str) -> Iterator[str]:
        cues = self.cues_for(session)
        seen = turn_context.signals(cues, self._watch(session), session, turn.text)
        reading = self._local_reading(session, turn.text)
        allowed_facts = self._facts_asked(session, turn.text, reading)
        result: Streamed[TurnDecision] = Streamed()
        screened = Screened()
        usage = Usage(model_name=session.model)
        live = stream_structured(
            self.model,
            TurnDecision,
            self._messages(session, seen),
            result,
            allow=lambda head: (
                set(head.get("fact_ids", [])) <= allowed_facts
                and head.get("reply_kind") != "closing"
            ),
            method=self.settings.llm_structured_method,
            usage=usage,
        )
        deny = self._deny_for(session, allowed_facts)
        # On a leak the screen stops showing text; the decision is still read to its end.
        yield from screen(_ReadToEnd(live), deny, "", screened)
        decision = result.value
        assert decision is not None  # stream_structured fills it or raises
        notices = [result.note] if result.note else []
        if screened.replaced:
            notices.append(self.phrases("notice.reply_replaced", session.lang))
        elif screened.cut:
            notices.append(self.phrases("notice.reply_cut", session.lang))
        facts = [f for f in dict.fromkeys(decision.fact_ids) if f in allowed_facts]
        if len(facts) < len(set(decision.fact_ids)):
            notices.append(self.phrases("notice.fact_withheld", session.lang))
        self._record(session, turn, decision, seen)
        finishing = decision.message_kind == "finish" and self._asks_to_finish(turn.text, reading)
        closing = finishing or (
            decision.reply_kind == "closing" and self._all_sections_had_content(session)
        )
        text = screened.text.strip()
        if not text:  # held back by a guard, or the model wrote nothing usable
            guarded = len(facts) < len(set(decision.fact_ids)) or (
                decision.reply_kind == "closing" and not closing
            )
            if screened.replaced:
                text = self._built_in_question(session)
            elif guarded:
                text = self._guarded_reply(session, decision, facts)
            else:
                text = decision.reply
            extra = Screened()
            text = "".join(screen([text], deny, self._built_in_question(session), extra))
            yield text
        said = " ".join(t for t in (prefix, text) if t)
        if closing:
            yield from self._close(session, "" if finishing else "all_covered", said=said)
            return
        kind = decision.reply_kind
        if kind == "closing":  # the model wanted to stop; the candidate did not ask: go on
            kind = "steer"
            notices.append(self.phrases("notice.kept_going", session.lang))
        session.disclose(facts)
        session.current_section = decision.section
        session.probes_asked.extend(
            p for p in decision.points_asked if p not in session.probes_asked
        )
        self._append(
            session,
            Turn(
                role="interviewer",
                text=said,
                section=decision.section,
                kind=kind,
                at=self.clock(),
                fact_ids=facts,
                notice=" ".join(notices) or None,
                tokens=TurnTokens(
                    input=usage.input_tokens,
                    output=usage.output_tokens,
                    approximate=usage.approximate,
                ),
            ),
        )

    def _record(
        self,
        session: InterviewSession,
        turn: Turn,
        decision: TurnDecision,
        seen: turn_context.Signals,
    ) -> None:
        """What the candidate's message showed, on their turn and on the session."""
        turn.kind = decision.message_kind
        known = {cp.id for s in SECTION_IDS for cp in self.kb.rubric.sections[s].checkpoints}
        points = [p for p in decision.points_covered if p in known]
        session.checkpoints_hit.extend(p for p in points if p not in session.checkpoints_hit)
        if decision.message_kind in (
            "answer",
            "clarifying_question",
            "navigation",
            "challenge",
            "finish",
        ):
            had = turn_context.sections_with_content(seen, points, self.kb)
            session.covered_sections.extend(
                s for s in SECTION_IDS if s in had and s not in session.covered_sections
            )
            turn.section = turn_context.main_section(seen, points, self.kb, turn.section)
        watch = {m.id for m in self._watch(session)}
        session.mistakes.extend(
            m for m in decision.mistakes if m in watch and m not in session.mistakes
        )

    def _guarded_reply(
        self, session: InterviewSession, decision: TurnDecision, facts: list[str]
    ) -> str:
        """What to say when the model's own reply was held back."""
        lang = session.lang
        scenario = self._scenario(session.scenario_id)
        if facts:
            return " ".join(f.text(lang) for f in scenario.facts if f.id in facts)
        if decision.message_kind == "clarifying_question":
            return self.phrases("assumption", lang)
        section = self._next_without_content(session) or decision.section
        return " ".join(
            [
                self.phrases("steer", lang, section=SECTION_TITLES[section][lang]),
                self.phrases(f"section_question.{section}", lang),
            ]
        )

    def _built_in_question(self, session: InterviewSession) -> str:
        """A question of the rubric's own, never a solution: the first point of this section
        not covered or asked yet, else the section's opening question."""
        lang = session.lang
        section = session.current_section
        done = set(session.checkpoints_hit) | set(session.probes_asked)
        for point in self.kb.rubric.sections[section].checkpoints:
            if point.id not in done:
                title = SECTION_TITLES[section][lang]
                return f"{self.phrases('probe_lead', lang, section=title)} {point.probe(lang)}"
        return self.phrases(f"section_question.{section}", lang)

    def _close(self, session: InterviewSession, reason: str, *, said: str) -> Iterator[str]:
        """Grade everything the candidate said and end the interview; `said` is what this turn
        already showed (the closing words follow it, the reason unless it was said already)."""
        report = self._grade(session)
        because = self.phrases(reason, session.lang) if reason else ""
        words = [because] if because and because not in said else []
        words.append(
            self.phrases(
                "closing", session.lang, overall=format_number(report.overall, session.lang)
            )
        )
        closing = " ".join(words)
        yield (" " if said else "") + closing
        at = self.clock()
        session.status = "finished"
        session.finished_at = at
        session.report = report
        text = " ".join(t for t in (said, closing) if t)
        self._append(
            session,
            Turn(
                role="interviewer",
                text=text,
                section=session.current_section,
                kind="closing",
                at=at,
            ),
        )

    # ----- context -----------------------------------------------------------------------------

    def _messages(self, session: InterviewSession, seen: turn_context.Signals) -> list:
        scenario = self._scenario(session.scenario_id)
        static = turn_context.static_prompt(
            self.settings, self.kb, scenario, session, self._watch(session)
        )
        passages = self._passages(session, session.turns[-1].text)
        state = TurnState(
            section=session.current_section,
            sections_with_content=list(session.covered_sections),
            points_covered=list(session.checkpoints_hit),
            points_asked=list(session.probes_asked),
            disclosed_facts=list(session.disclosed_facts),
            mistakes_raised=list(session.mistakes),
            minutes_left=self._minutes_left(session),
            minutes_total=session.time_budget_minutes,
        )
        fixed = [
            static,
            turn_context.turn_prompt(self.settings, state, session.summary, passages, seen),
        ]
        budget = (
            self.settings.context_tokens
            - REPLY_RESERVE_TOKENS
            - sum(count_tokens(f).tokens for f in fixed)
        )
        kept, summary = compact_history(
            self.model,
            [(t.role, t.text) for t in session.turns],
            max(budget, 0),
            summary=HistorySummary(text=session.summary, covers=session.summary_covers),
            prompts_dir=self.settings.prompts_dir,
            lang=session.lang,
        )
        # A cache of what older turns said: kept even if this reply fails, it is still true.
        session.summary, session.summary_covers = summary.text, summary.covers
        fixed[1] = turn_context.turn_prompt(self.settings, state, summary.text, passages, seen)
        return turn_context.messages(fixed[0], fixed[1], kept)

    def _passages(self, session: InterviewSession, text: str) -> list[turn_context.Passage]:
        if self.retriever is None:
            return []
        hits = self.retriever.search(text[:2000], k=GROUNDING_PASSAGES, lang=session.lang)
        return [turn_context.Passage(h.id, h.text) for h in hits]

    # ----- guards ------------------------------------------------------------------------------

    def _local_reading(self, session: InterviewSession, text: str) -> MessageAnalysis:
        """The offline classifier's reading of a message: the guards' own evidence, independent
        of the model that decides the turn."""
        cues = self.cues_for(session)
        prompt = render(
            self.settings.prompts_dir,
            "classify",
            task=block("task", "classify"),
            lang=block("lang", session.lang),
            facts=block("facts", cues.facts_json(text)),
            section=block("section", cues.section_json(session.current_section, text)),
            candidate_message=untrusted_block("candidate_message", text),
        )
        return ask_local(MessageAnalysis, prompt)

    def _facts_asked(
        self, session: InterviewSession, text: str, reading: MessageAnalysis
    ) -> set[str]:
        """Facts the message may be told. A message the offline reading takes for a clarifying
        question may get any fact: which ones it asked about is the model's call (its words
        are often ones no cue list foresaw: "how many payments a day do we see?"). Any other
        message only gets facts whose topic it names in a question: nothing is volunteered."""
        scenario = self._scenario(session.scenario_id)
        if reading.kind == "clarifying_question":
            return {f.id for f in scenario.facts}
        if reading.kind != "hint" and "?" not in text:
            return set()
        named = self.cues_for(session).facts_block(text)
        topics = {f.topic for f in scenario.facts if f.id in reading.fact_ids}
        topics |= {topic for topic, found in named.topics.items() if found}
        topics |= {f.topic for f in named.facts if f.terms or f.text_words}
        return {f.id for f in scenario.facts if f.topic in topics}

    @staticmethod
    def _asks_to_finish(text: str, reading: MessageAnalysis) -> bool:
        """Whether the candidate asked to end: the offline reading, or the words anywhere in a
        longer message ("...that's all from me, let's finish")."""
        return reading.kind == "finish" or text in lexicon().classifier.finish

    def _deny_for(self, session: InterviewSession, facts: set[str]) -> Terms:
        """The deny-list less the terms the candidate used (their own words may be echoed) and
        those of the facts they asked about (a fact is told word for word)."""
        scenario = self._scenario(session.scenario_id)
        told = [f.text(session.lang) for f in scenario.facts if f.id in facts]
        said = " ".join([*(t.text for t in session.turns if t.role == "candidate"), *told])
        used = set(self.deny.find(said))
        return Terms([t for t in self.deny.terms if t not in used])

    def _all_sections_had_content(self, session: InterviewSession) -> bool:
        return all(s in session.covered_sections for s in SECTION_IDS)

    def _next_without_content(self, session: InterviewSession) -> SectionId | None:
        return next((s for s in SECTION_IDS if s not in session.covered_sections), None)

    # ----- grading and state -------------------------------------------------------------------

    def _grade(self, session: InterviewSession) -> GradeReport:
        """The grade of everything the candidate said, with the facts they asked for and the
        interviewer's turns as context."""
        return grade_answer(
            session.candidate_text(),
            kb=self.kb,
            model=self.model,
            lang=session.lang,
            settings=self.settings,
            scenario=self._scenario(session.scenario_id),
            disclosed_facts=session.disclosed_facts,
            transcript=[
                (t.role, t.text)
                for t in session.turns
                if t.role == "interviewer" or t.kind in GRADED_KINDS
            ],
        )

    def _append(self, session: InterviewSession, turn: Turn) -> None:
        session.turns.append(turn)
        if self.store is not None:
            self.store.append_turn(session)

    def _tick(self, session: InterviewSession) -> None:
        now = self.clock()
        if session.last_activity is not None:
            gap = (now - session.last_activity).total_seconds()
            session.active_seconds += min(max(gap, 0.0), IDLE_CAP_SECONDS)
        session.last_activity = now

    def _minutes_left(self, session: InterviewSession) -> int:
        left = session.time_budget_minutes * 60 - session.active_seconds
        return max(0, math.ceil(left / 60))

    def _scenario(self, scenario_id: str) -> Scenario:
        return self.kb.require_scenario(scenario_id)

    def _watch(self, session: InterviewSession) -> list[Mistake]:
        return [m for m in self.watch if m.applies_to(session.scenario_id)]

    def cues_for(self, session: InterviewSession) -> InterviewCues:
        """The session's compiled cues, built once per (scenario, language) and kept."""
        key = (session.scenario_id, session.lang)
        if key not in self._cues:
            self._cues[key] = compile_cues(
                self.kb, self._scenario(session.scenario_id), session.lang
            )
        return self._cues[key]


class _ReadToEnd:
    """An iterator whose `close` reads the rest instead of abandoning it."""

    def __init__(self, inner: Iterator[str]) -> None:
        self.inner = inner

    def __iter__(self) -> "_ReadToEnd":
        return self

    def __next__(self) -> str:
        return next(self.inner)

    def close(self) -> None:
        for _ in self.inner:
            pass


def _watch_list(kb: KnowledgeBase, settings: Settings) -> list[Mistake]:
    """The catalogue of common mistakes; a knowledge base without one watches for none."""
    if not (settings.knowledge_dir / MISTAKES_DIR).is_dir():
        return []
    return load_mistakes(
        settings.knowledge_dir, [p.id for p in kb.passages], [s.id for s in kb.scenarios]
    )
