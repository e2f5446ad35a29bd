"""The interviewer's turn policy: what to say to each candidate message, streamed.

One turn goes in two steps, so a failure in the second never loses the first:
1. `accept` cleans the message, classifies it (through the model, `prompts/classify.md`), records
   what it shows (checkpoints addressed, time spent) and saves the candidate turn.
2. `respond` answers the last candidate turn, yielding text chunks; the interviewer turn and the
   state it changes (facts disclosed, probes asked, section, report) are saved only once the reply
   is complete. After a ModelError the candidate turn is already saved and `respond` can be called
   again.
`reply` does both. The UI passes its iterator to `st.write_stream`; the CLI prints the chunks.

What the interviewer says comes from files, never from the model alone: hidden facts are quoted
from the scenario, guidance from `prompts/interviewer_phrases.yaml`, probes from the rubric. The
model only phrases probes (`prompts/interviewer_reply.md`), and its text passes the deny-list
filter, so it cannot hand over a solution.
"""

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from langchain_core.language_models import BaseChatModel

from simulator.base.errors import ModelError
from simulator.base.sanitize import MESSAGE_LIMIT, clean_message
from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang, SectionId
from simulator.base.settings import Settings
from simulator.grading.grader import grade_answer
from simulator.grading.types import GradeReport
from simulator.interview.history import HistorySummary, compact_history
from simulator.interview.reply_filter import Screened, screen
from simulator.interview.session import (
    DIFFICULTY_MINUTES,
    Difficulty,
    InterviewerKind,
    InterviewSession,
    Turn,
    now_utc,
)
from simulator.kb.cues import InterviewCues, compile_cues
from simulator.kb.knowledge import Checkpoint, KnowledgeBase, Scenario
from simulator.kb.phrases import load_denylist, load_phrases
from simulator.llm.calls import ask_local, ask_structured, stream_text
from simulator.llm.prompting import block, render, untrusted_block
from simulator.llm.tasks.classify import MessageAnalysis
from simulator.llm.tasks.interviewer_reply import ProbeBlock, phrase

MAX_PROBES_PER_SECTION = 2
TIME_WARNING_SHARE = 0.8
"""Say that time is running out once this share of the budget is spent."""
IDLE_CAP_SECONDS = 15 * 60
"""A longer gap between messages counts as a pause (the session was left and resumed later)."""
HISTORY_BUDGET_TOKENS = 1200
GROUNDING_PASSAGES = 2
MIN_HITS_TO_FOLLOW = 2
"""Checkpoints of a later section one message must hit before the interview jumps there."""


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


@dataclass
class _Reply:
    """An interviewer turn being produced, and the state it changes once complete."""

    kind: InterviewerKind
    section: SectionId
    parts: list[str] = field(default_factory=list)
    """Fixed text, sent as is, before the probe (if any)."""
    probe: Checkpoint | None = None
    probe_lead: str = ""
    fact_ids: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    """Phrase key saying why the interview ends (`time_up`, `all_covered`), or "" on request."""
    warn_time: bool = False
    report: GradeReport | None = None
    """The grade, once graded."""


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
        self._cues: dict[tuple[str, Lang], InterviewCues] = {}
        self._grounding: dict[tuple[str, Lang], list[PassageHit]] = {}

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
        session.turns.append(
            Turn(
                role="interviewer",
                text=scenario.prompt(lang),
                section="requirements",
                kind="opening",
                at=now,
            )
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
            yield from self.respond(session)

    def accept(self, session: InterviewSession, message: object) -> str | None:
        """Clean, classify and save the candidate's message; returns a notice to show, if any.

        An empty message, or one sent after the end, is not saved: the notice says why.
        """
        lang = session.lang
        if session.status == "finished":
            return self.phrases("finished", lang)
        clean = clean_message(message)
        if clean.empty:
            return self.phrases("empty_message", lang)
        analysis, fallback_note = self._classify(session, clean.text)
        cues = self.cues_for(session)
        hits: list[str] = []
        if analysis.kind in ("answer", "clarifying_question"):
            hits = cues.hits(clean.text)
            self._follow_candidate(session, analysis, hits)
            session.checkpoints_hit.extend(h for h in hits if h not in session.checkpoints_hit)
        if analysis.kind == "move_on":
            self._mark_covered(session, [session.current_section])
        self._mark_covered(session, cues.covered(session.checkpoints_hit))
        self._tick(session)
        notices = [
            self.phrases("notice.truncated", lang, limit=MESSAGE_LIMIT) if clean.truncated else "",
            fallback_note or "",
        ]
        notice = " ".join(n for n in notices if n) or None
        self._append(
            session,
            Turn(
                role="candidate",
                text=clean.text,
                section=session.current_section,
                kind=analysis.kind,
                at=session.last_activity or self.clock(),
                fact_ids=analysis.fact_ids,
                notice=notice,
            ),
        )
        return notice

    def respond(self, session: InterviewSession) -> Iterator[str]:
        """Answer the last candidate turn; safe to call again after a ModelError."""
        if session.awaiting_reply():
            yield from self._deliver(session, self._plan(session, session.turns[-1]))

    def finish(self, session: InterviewSession) -> Iterator[str]:
        """End the interview now (the script ran out, the UI's finish button): grade and close."""
        if session.status == "active":
            yield from self._deliver(
                session, _Reply(kind="closing", section=session.current_section, finish_reason="")
            )

    def _deliver(self, session: InterviewSession, plan: _Reply) -> Iterator[str]:
        """Say the planned reply, then save it with the state it changes."""
        texts = list(plan.parts)
        if plan.finish_reason is not None:
            plan.report = self._grade(session)
            texts.extend(self._closing_words(session.lang, plan.finish_reason, plan.report))
        fixed = " ".join(texts)
        if fixed:
            yield fixed
        screened = Screened()
        if plan.probe is not None:
            yield from self._stream_probe(session, plan, screened, lead_space=bool(fixed))
        text = " ".join(t for t in (fixed, screened.text.strip()) if t)
        self._commit(session, plan, text, screened)

    # ----- classification ----------------------------------------------------------------------

    def _classify(self, session: InterviewSession, text: str) -> tuple[MessageAnalysis, str | None]:
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
        note: str | None = None
        try:
            result = ask_structured(self.model, MessageAnalysis, prompt)
            analysis = result.value
            if result.fallback:  # the model's replies did not fit; the local rules decided
                note = self.phrases("notice.classifier_fallback", session.lang)
        except ModelError:
            # The rules the local model runs, applied directly: a message is never lost.
            analysis = ask_local(MessageAnalysis, prompt)
            note = self.phrases("notice.classifier_fallback", session.lang)
        # A remote model may invent ids; keep only this scenario's facts, each once.
        known = {f.id for f in self._scenario(session.scenario_id).facts}
        analysis.fact_ids = [f for f in dict.fromkeys(analysis.fact_ids) if f in known]
        return analysis, note

    def _follow_candidate(
        self, session: InterviewSession, analysis: MessageAnalysis, hits: list[str]
    ) -> None:
        """When the candidate's content is mostly about a later section, the interview follows."""
        cues = self.cues_for(session)
        per_section = {
            s: sum(1 for cp in cues.checkpoints[s] if cp.id in hits) for s in SECTION_IDS
        }
        current = SECTION_IDS.index(session.current_section)
        later = [s for s in analysis.sections_touched if SECTION_IDS.index(s) > current]
        if not later:
            return
        # A passing mention of a later topic is not a jump: it takes most of the content, twice.
        best = max(later, key=lambda s: (per_section[s], -SECTION_IDS.index(s)))
        if (
            per_section[best] >= MIN_HITS_TO_FOLLOW
            and per_section[best] > per_section[session.current_section]
        ):
            session.current_section = best

    # ----- planning a reply --------------------------------------------------------------------

    def _plan(self, session: InterviewSession, turn: Turn) -> _Reply:
        lang = session.lang
        section = session.current_section
        budget = session.time_budget_minutes * 60
        if turn.kind == "finish":
            return _Reply(kind="closing", section=section, finish_reason="")
        if session.active_seconds >= budget:
            return _Reply(kind="closing", section=section, finish_reason="time_up")
        plan = self._plan_for_kind(session, turn)
        if (
            not session.time_warned
            and session.active_seconds >= TIME_WARNING_SHARE * budget
            and plan.finish_reason is None
            and turn.kind != "time_check"
        ):
            plan.parts.insert(
                0, self.phrases("time_warning", lang, minutes=self._minutes_left(session))
            )
            plan.warn_time = True
        return plan

    def _plan_for_kind(self, session: InterviewSession, turn: Turn) -> _Reply:
        lang = session.lang
        section = session.current_section
        if turn.kind == "clarifying_question" and turn.fact_ids:
            scenario = self._scenario(session.scenario_id)
            facts = [f for f in scenario.facts if f.id in turn.fact_ids]
            return _Reply(
                kind="fact",
                section=section,
                parts=[" ".join(f.text(lang) for f in facts)],
                fact_ids=[f.id for f in facts],
            )
        if turn.kind == "clarifying_question":
            return _Reply(
                kind="assumption", section=section, parts=[self.phrases("assumption", lang)]
            )
        if turn.kind == "time_check":
            total = session.time_budget_minutes
            text = self.phrases("time_left", lang, minutes=self._minutes_left(session), total=total)
            return _Reply(kind="time", section=section, parts=[text])
        if turn.kind == "hint":
            return self._hint(session)
        if turn.kind == "off_topic":
            title = SECTION_TITLES[section][lang]
            return _Reply(
                kind="redirect",
                section=section,
                parts=[
                    self.phrases("redirect", lang, section=title),
                    self.phrases(f"section_question.{section}", lang),
                ],
            )
        if turn.kind == "move_on":
            return self._steer(session)
        return self._after_answer(session)

    def _after_answer(self, session: InterviewSession) -> _Reply:
        section = session.current_section
        if section not in session.covered_sections and self._probes_in(session, section) < (
            MAX_PROBES_PER_SECTION
        ):
            missed = self._missed(session, section)
            if missed:
                lead = self.phrases(
                    "probe_lead", session.lang, section=SECTION_TITLES[section][session.lang]
                )
                return _Reply(kind="probe", section=section, probe=missed[0], probe_lead=lead)
        return self._steer(session)

    def _hint(self, session: InterviewSession) -> _Reply:
        section = session.current_section
        missed = self._missed(session, section)
        if missed and self._probes_in(session, section) < MAX_PROBES_PER_SECTION:
            lead = self.phrases("hint_lead", session.lang)
            return _Reply(kind="hint", section=section, probe=missed[0], probe_lead=lead)
        return _Reply(kind="hint", section=section, parts=[self.phrases("hint_none", session.lang)])

    def _steer(self, session: InterviewSession) -> _Reply:
        """To the next section not yet covered; the end when there is none."""
        nxt = self._next_section(session)
        if nxt is None:
            return _Reply(
                kind="closing", section=session.current_section, finish_reason="all_covered"
            )
        lang = session.lang
        return _Reply(
            kind="steer",
            section=nxt,
            parts=[
                self.phrases("steer", lang, section=SECTION_TITLES[nxt][lang]),
                self.phrases(f"section_question.{nxt}", lang),
            ],
        )

    def _next_section(self, session: InterviewSession) -> SectionId | None:
        # Forward first; then back to a section the candidate jumped over (never visited), once.
        current = SECTION_IDS.index(session.current_section)
        visited = {t.section for t in session.turns if t.role == "interviewer"}
        visited.add(session.current_section)
        ahead = [s for s in SECTION_IDS[current + 1 :] if s not in session.covered_sections]
        skipped = [
            s
            for s in SECTION_IDS[:current]
            if s not in session.covered_sections and s not in visited
        ]
        return next(iter(ahead + skipped), None)

    def _missed(self, session: InterviewSession, section: SectionId) -> list[Checkpoint]:
        return self.cues_for(session).missed(section, session.checkpoints_hit, session.probes_asked)

    def _probes_in(self, session: InterviewSession, section: SectionId) -> int:
        ids = {cp.id for cp in self.cues_for(session).checkpoints[section]}
        return sum(1 for p in session.probes_asked if p in ids)

    # ----- producing text ----------------------------------------------------------------------

    def _stream_probe(
        self, session: InterviewSession, plan: _Reply, screened: Screened, *, lead_space: bool
    ) -> Iterator[str]:
        assert plan.probe is not None
        lang = session.lang
        probe = ProbeBlock(
            id=plan.probe.id,
            section=plan.section,
            lead_in=plan.probe_lead,
            question=plan.probe.probe(lang),
        )
        passages = self._grounding_for(plan.probe, plan.section, lang)
        prompt = render(
            self.settings.prompts_dir,
            "interviewer_reply",
            task=block("task", "interviewer_reply"),
            lang=block("lang", lang),
            checkpoint=block("checkpoint", probe.model_dump_json()),
            passages=block(
                "passages",
                json.dumps([{"id": p.id, "text": p.text} for p in passages], ensure_ascii=False),
            ),
            history=untrusted_block("history", self._history(session)),
        )
        first = True
        for chunk in screen(stream_text(self.model, prompt), self.deny, phrase(probe), screened):
            yield (" " + chunk.lstrip()) if first and lead_space else chunk
            first = False

    def _grounding_for(self, cp: Checkpoint, section: SectionId, lang: Lang) -> list[PassageHit]:
        """Passages a probe is grounded in: retrieved for the checkpoint, plus its own passage."""
        key = (cp.id, lang)
        if key not in self._grounding:
            hits: list[PassageHit] = []
            if self.retriever is not None:
                query = cp.description(lang)
                hits = list(
                    self.retriever.search(query, k=GROUNDING_PASSAGES, lang=lang, section=section)
                )
            own = self.kb.passage(cp.passage)
            if own is not None and all(h.id != own.id for h in hits):
                hits.append(_OwnPassage(id=own.id, text=own.text(lang)))
            self._grounding[key] = hits
        return self._grounding[key]

    def _history(self, session: InterviewSession) -> str:
        """The newest turns that fit the budget, after a running summary of the older ones."""
        kept, summary = compact_history(
            self.model,
            [(t.role, t.text) for t in session.turns],
            HISTORY_BUDGET_TOKENS,
            summary=HistorySummary(text=session.summary, covers=session.summary_covers),
            prompts_dir=self.settings.prompts_dir,
            lang=session.lang,
        )
        # A cache of what older turns said: kept even if this reply fails, it is still true.
        session.summary, session.summary_covers = summary.text, summary.covers
        lines = [summary.text] if summary.text else []
        lines.extend(f"{role}: {text}" for role, text in kept)
        return "\n".join(lines)

    def _grade(self, session: InterviewSession) -> GradeReport:
        """The grade of everything the candidate said, with the facts they asked for."""
        return grade_answer(
            session.candidate_text(),
            kb=self.kb,
            model=self.model,
            lang=session.lang,
            settings=self.settings,
            scenario=self._scenario(session.scenario_id),
            disclosed_facts=session.disclosed_facts,
        )

    def _closing_words(self, lang: Lang, reason: str, report: GradeReport) -> list[str]:
        parts = [self.phrases(reason, lang)] if reason else []
        parts.append(self.phrases("closing", lang, overall=report.overall))
        return parts

    # ----- state -------------------------------------------------------------------------------

    def _commit(
        self, session: InterviewSession, plan: _Reply, text: str, screened: Screened
    ) -> None:
        lang = session.lang
        notice = None
        if screened.replaced:
            notice = self.phrases("notice.reply_replaced", lang)
        elif screened.cut:
            notice = self.phrases("notice.reply_cut", lang)
        passage_ids: list[str] = []
        if plan.probe is not None:
            session.probes_asked.append(plan.probe.id)
            passage_ids = [p.id for p in self._grounding_for(plan.probe, plan.section, lang)]
        session.disclose(plan.fact_ids)
        session.time_warned = session.time_warned or plan.warn_time
        session.current_section = plan.section
        at = self.clock()
        if plan.finish_reason is not None:
            session.status = "finished"
            session.finished_at = at
            session.report = plan.report
        self._append(
            session,
            Turn(
                role="interviewer",
                text=text,
                section=plan.section,
                kind=plan.kind,
                at=at,
                passage_ids=passage_ids,
                fact_ids=plan.fact_ids,
                notice=notice,
            ),
        )

    def _append(self, session: InterviewSession, turn: Turn) -> None:
        session.turns.append(turn)
        if self.store is not None:
            self.store.append_turn(session)

    @staticmethod
    def _mark_covered(session: InterviewSession, sections: Sequence[SectionId]) -> None:
        session.covered_sections.extend(s for s in sections if s not in session.covered_sections)

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

    def cues_for(self, session: InterviewSession) -> InterviewCues:
        """The session's compiled cues, built once per (scenario, language) and kept."""
        key = (session.scenario_id, session.lang)
        if key not in self._cues:
            self._cues[key] = compile_cues(
                self.kb, self._scenario(session.scenario_id), session.lang
            )
        return self._cues[key]


@dataclass(frozen=True)
class _OwnPassage:
    id: str
    text: str
