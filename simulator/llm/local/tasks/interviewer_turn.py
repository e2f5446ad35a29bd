"""`<task>interviewer_turn</task>`: the offline interviewer, one decision per candidate message.

The local model's side of `simulator/llm/tasks/interviewer_turn.py`. Blocks in: `<scenario>`,
`<open_points>` and `<watch_list>` (the first system message), `<state>` and `<signals>` (the
second), and `conversation`, the chat's turns by role, added by the local model (the last one is
the candidate message to answer). Out: a `TurnDecision` as a dict. Same blocks, same decision.

What the message is comes from the local classifier (`classify.py`), on top of which come
navigation ("let's do metrics first", "can we go back?", "skip this") and disagreement ("I
disagree"), their cue words in `knowledge/lexicon/classifier.yaml`. The section an answer is
about is the one it opens with ("For the model, …", "Serving: …"), else where its content weighs
most (an answer to a probe stays in the probed section unless it clearly goes elsewhere); "back"
and "next" count from there. What the reply does:
- a clarifying question: the facts it asks about, quoted from `<scenario>`; when no fact covers
  it, the candidate states an assumption;
- an answer: a watch-list mistake not raised yet is challenged (their words, then the watch list's
  question), and so is designing before asking anything; else an open point of the section neither
  covered nor asked is probed (their words, then the point's question); else on to the next
  section without content; when every section has content and nothing is left to ask, the closing
  words (the engine decides whether to end);
- navigation: the section asked for, also when the request comes with an answer; a hint request:
  the question of an open point, never the solution; time, finish and off-topic messages: the
  catalogue's phrases, with a question not said yet when the same phrase comes twice.
Every phrase comes from the string catalogue (`interviewer.*`; the lead-ins that cite the
candidate take turns, never the one just used); the only other words are the scenario's facts, the
open points' and the watch list's questions, and short quotes of the candidate. What was asked and
raised is read from `<state>` and from the conversation itself (a question the interviewer already
said), so the interviewer does not repeat itself when the state lags behind.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, TypeAdapter

from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang, SectionId
from simulator.base.strings import load_catalogue, text
from simulator.base.textnorm import STOP_WORDS, Terms, compiled_terms, stems, words
from simulator.kb.lexicon import TermList, lexicon
from simulator.llm.local.tasks.classify import (
    OFF_TOPIC_MAX_WORDS,
    SHORT,
    asks_to_navigate,
    classify,
    cue_spans,
    named_after,
    named_sections,
)
from simulator.llm.tasks.classify import MessageAnalysis, SectionBlock
from simulator.llm.tasks.interviewer_turn import (
    MessageKind,
    OpenPoint,
    ReplyKind,
    ScenarioBlock,
    Signals,
    TurnDecision,
    TurnState,
    WatchItem,
    section_weights,
    weighted_section,
)

MAX_PROBES_PER_SECTION = 2
"""Open points asked per section before the interview moves on."""
FOLLOW_MIN_WEIGHT = 4
"""How much an answer must say about another section (`weighted_section`: two points, a point
and two cue words, or four cue words) before the interview follows it there: the second message
of an answer ("Training runs off the click logs...") often brushes another section."""
PROBED_FOLLOW_MIN_WEIGHT = 8
"""The same for an answer to the interviewer's question about the current section: it stays
there unless it names another section first or is plainly about one (four points' worth); "the
trie is rebuilt from the logs every hour" answers an architecture question, even if it brushes
the serving section's retraining."""
LEAD_WORDS = 5
"""An answer that names one section in the first this many words of its first clause is about
that section ("Serving: …", "For the model, I'd…", "Для модели начну с…")."""
QUOTE_MAX_WORDS = 12
"""A quote of the candidate is a phrase, never a paragraph."""
ACK_PREFIX = "interviewer.ack."
"""The acknowledgements that cite the candidate: every catalogue key with this prefix."""
CHALLENGE_PREFIX = "interviewer.challenge_lead."
"""The lead-ins of a challenge to a mistake, citing the candidate, the same way."""
HEADING_MAX_WORDS = 3
"""A heading is at most this many words before a colon or a dash ("Serving:", "Схема —")."""
NAV_MAX_WORDS = 24
"""A request to go somewhere is read in a message of at most this many words ("could we jump
straight to the model? the architecture here is a standard nightly job")."""
SKIPS_CLARIFYING = "requirements.skips_clarifying"
"""The watch-list mistake of designing before asking anything: read from the conversation, not
from the words of one message."""
LEAD_MEMORY = 2
"""A lead-in is never one of those of the interviewer's last this many turns."""

_QUOTE_MARK = "\x00"


class Said(BaseModel):
    """One turn of the conversation, as the local model hands it over."""

    role: Literal["interviewer", "candidate"]
    text: str


_POINTS = TypeAdapter(list[OpenPoint])
_WATCH = TypeAdapter(list[WatchItem])
_CONVERSATION = TypeAdapter(list[Said])


@dataclass(frozen=True)
class Context:
    """Everything one turn is decided from, read from the blocks."""

    scenario: ScenarioBlock
    points: tuple[OpenPoint, ...]
    watch: tuple[WatchItem, ...]
    state: TurnState
    signals: Signals
    conversation: tuple[Said, ...]
    asked: frozenset[str]
    """Open points already asked: in `state`, or their question said in the conversation."""
    raised: frozenset[str]
    """Watch-list mistakes already challenged, the same way."""

    @property
    def lang(self) -> Lang:
        return self.scenario.lang

    @property
    def message(self) -> str:
        last = self.conversation[-1] if self.conversation else None
        return last.text if last is not None and last.role == "candidate" else ""

    @property
    def interviewer_said(self) -> list[str]:
        return [t.text for t in self.conversation if t.role == "interviewer"]

    def section_of(self, point_id: str) -> SectionId | None:
        point = next((p for p in self.points if p.id == point_id), None)
        if point is not None:
            return point.section
        prefix = point_id.split(".", 1)[0]
        return next((s for s in SECTION_IDS if s == prefix), None)


@dataclass(frozen=True)
class Navigation:
    how: Literal["back", "to", "next"]
    target: SectionId | None
    """Where the candidate asked to go; None when no section is left to go to."""


def run(blocks: dict[str, str]) -> dict[str, object]:
    return decide(read(blocks)).model_dump()


def read(blocks: dict[str, str]) -> Context:
    """The blocks, validated; the conversation decides what has already been asked."""
    conversation = tuple(_CONVERSATION.validate_json(blocks.get("conversation") or "[]"))
    points = tuple(_POINTS.validate_json(blocks.get("open_points") or "[]"))
    watch = tuple(_WATCH.validate_json(blocks.get("watch_list") or "[]"))
    state = TurnState.model_validate_json(blocks["state"])
    said = [" ".join(t.text.split()) for t in conversation if t.role == "interviewer"]

    def was_said(question: str) -> bool:
        wanted = " ".join(question.split())
        return bool(wanted) and any(wanted in s for s in said)

    return Context(
        scenario=ScenarioBlock.model_validate_json(blocks["scenario"]),
        points=points,
        watch=watch,
        state=state,
        signals=Signals.model_validate_json(blocks["signals"]),
        conversation=conversation,
        asked=frozenset(state.points_asked) | {p.id for p in points if was_said(p.question)},
        raised=frozenset(state.mistakes_raised) | {m.id for m in watch if was_said(m.question)},
    )


def decide(ctx: Context) -> TurnDecision:
    state, signals, message = ctx.state, ctx.signals, ctx.message
    section_block = SectionBlock(current=state.section, cues=signals.sections)
    analysis = classify(message, signals.facts, section_block)
    if analysis.kind == "finish":
        return _decision(
            ctx, "finish", "closing", state.section, [text("interviewer.wrap_up", ctx.lang)]
        )
    if analysis.kind == "time_check":
        minutes = text(
            "interviewer.time_left", ctx.lang, minutes=state.minutes_left, total=state.minutes_total
        )
        return _decision(ctx, "time_check", "time", state.section, [minutes])
    content = _has_content(signals)
    navigation = _navigation(ctx, analysis, content)
    if analysis.kind == "hint":
        # A message whose last clause asks to go somewhere ("...before going deeper, could we
        # switch over to the data section?") asks to go there, not for a hint.
        if navigation is not None and asks_to_navigate(_last_clause(message)):
            return _navigate(ctx, navigation)
        return _hint(ctx)
    # A question that asks for no fact but to go somewhere ("I want to speak about how we serve
    # it, can we go to this part?") is a request to go there, content or not.
    if navigation is not None and (not content or analysis.kind == "clarifying_question"):
        return _navigate(ctx, navigation)
    if _disagrees(message) and (len(words(message)) <= SHORT or not content):
        reply = [text("interviewer.challenge_reply", ctx.lang)]
        return _decision(ctx, "challenge", "acknowledge", state.section, reply)
    if analysis.kind == "clarifying_question":
        return _clarify(ctx, analysis)
    if analysis.kind == "off_topic" and not _about_the_problem(ctx):
        question, asked = _fresh_question(ctx, state.section)
        reply = [text("interviewer.redirect", ctx.lang, section=_title(ctx, state.section))]
        return _decision(
            ctx, "off_topic", "redirect", state.section, [*reply, question], asked=asked
        )
    return _after_answer(ctx, analysis, navigation)


# ----- what each kind of message gets -----------------------------------------------------------


def _clarify(ctx: Context, analysis: MessageAnalysis) -> TurnDecision:
    facts = {f.id: f for f in ctx.scenario.facts}
    ids = [f for f in dict.fromkeys(analysis.fact_ids) if f in facts]
    points = _points_hit(ctx)
    if not ids:
        reply = [text("interviewer.assumption", ctx.lang)]
        asked: list[str] = []
        if any(reply[0] in t for t in ctx.interviewer_said):  # said before: move things along
            question, asked = _fresh_question(ctx, ctx.state.section)
            reply.append(question)
        return _decision(
            ctx,
            "clarifying_question",
            "assumption",
            ctx.state.section,
            reply,
            points=points,
            asked=asked,
        )
    reply = [facts[f].text for f in ids]
    return _decision(
        ctx, "clarifying_question", "fact", ctx.state.section, reply, points=points, facts=ids
    )


def _hint(ctx: Context) -> TurnDecision:
    """Something to think about: an open point's question, preferably one not asked yet."""
    section = ctx.state.section
    covered = set(ctx.state.points_covered)
    todo = [p for p in ctx.points if p.section == section and p.id not in covered]
    fresh = [p for p in todo if p.id not in ctx.asked]
    point = next(iter(fresh or todo), None)
    if point is None:
        return _decision(
            ctx, "hint_request", "hint", section, [text("interviewer.hint_none", ctx.lang)]
        )
    reply = [text("interviewer.hint_lead", ctx.lang), point.question]
    return _decision(ctx, "hint_request", "hint", section, reply, asked=[point.id])


def _navigate(
    ctx: Context,
    navigation: Navigation,
    *,
    lead: list[str] | None = None,
    points: list[str] | None = None,
    mistakes: list[str] | None = None,
) -> TurnDecision:
    """The section asked for, confirmed, and its question (after `lead`, when the request came
    with an answer)."""
    target, current = navigation.target, ctx.state.section
    kind: MessageKind = "answer" if lead else "navigation"
    if target is None:  # "next" with every section done: whatever is left to ask, or the end
        return _move_on(ctx, current, set(ctx.state.points_covered), lead or [], kind)
    title = _title(ctx, target)
    question = _section_question(ctx, target)
    if navigation.how == "back":
        if target in ctx.state.sections_with_content:  # they want to add to what they said
            question = text("interviewer.revisit_question", ctx.lang)
        reply = [text("interviewer.nav_back", ctx.lang, section=title), question]
    elif navigation.how == "next":
        reply = [text("interviewer.steer", ctx.lang, section=title), question]
    elif target == current:
        reply = [text("interviewer.nav_here", ctx.lang, section=title)]
    else:
        reply = [text("interviewer.nav_to", ctx.lang, section=title), question]
    return _decision(
        ctx, kind, "steer", target, [*(lead or []), *reply], points=points, mistakes=mistakes
    )


def _after_answer(
    ctx: Context, analysis: MessageAnalysis, navigation: Navigation | None
) -> TurnDecision:
    """Challenge a new mistake, else probe an open point of the section, else move on."""
    message = ctx.message
    asked_for = navigation.target if navigation is not None and navigation.how != "next" else None
    section = asked_for or _follow(ctx)
    points = _points_hit(ctx)
    covered = set(ctx.state.points_covered) | set(points)
    made = [m for m in ctx.watch if m.id in ctx.signals.mistakes]
    new = sorted((m for m in made if m.id not in ctx.raised), key=lambda m: m.section != section)
    if not new and _designs_before_asking(ctx):  # what the words show comes first
        new = [m for m in ctx.watch if m.id == SKIPS_CLARIFYING and m.id not in ctx.raised]
    if new:
        mistake = new[0]
        if section == "requirements" and mistake.id != SKIPS_CLARIFYING and asked_for is None:
            section = mistake.section  # at the opening, what it got wrong shows what it is about
        quote = _quote(message, _anchor_words(f"{mistake.wrong} {mistake.question}"))
        reply = [_cite(ctx, CHALLENGE_PREFIX, quote), mistake.question]
        return _decision(
            ctx, "answer", "challenge", section, reply, points=points, mistakes=[mistake.id]
        )
    raised = [m.id for m in made]
    ack = _cite(ctx, ACK_PREFIX, _quote(message, _section_anchors(ctx, section)))
    if navigation is None or navigation.how != "next":
        point = _probe_point(ctx, section, covered)
        if point is not None:
            reply = [ack, point.question]
            return _decision(
                ctx,
                "answer",
                "probe",
                section,
                reply,
                points=points,
                mistakes=raised,
                asked=[point.id],
            )
    if navigation is not None:  # where they asked to go, even with nothing left to probe there
        if navigation.how == "next":  # next after what the answer was about
            navigation = Navigation("next", _next_section(ctx, section, {section}))
        return _navigate(ctx, navigation, lead=[ack], points=points, mistakes=raised)
    content = {*ctx.state.sections_with_content, *analysis.sections_touched, section}
    return _move_on(ctx, section, covered, [ack], "answer", points, raised, content)


def _move_on(
    ctx: Context,
    frm: SectionId,
    covered: set[str],
    lead: list[str],
    kind: MessageKind,
    points: list[str] | None = None,
    mistakes: list[str] | None = None,
    content: set[SectionId] | None = None,
) -> TurnDecision:
    """To the next section without content; else back to a section with something left to ask;
    else the closing words."""
    with_content = content if content is not None else {*ctx.state.sections_with_content, frm}
    nxt = _next_without_content(frm, with_content)
    if nxt is not None:
        reply = [
            *lead,
            text("interviewer.steer", ctx.lang, section=_title(ctx, nxt)),
            _section_question(ctx, nxt),
        ]
        return _decision(ctx, kind, "steer", nxt, reply, points=points, mistakes=mistakes)
    for section in _after(frm):
        point = _probe_point(ctx, section, covered)
        if point is not None:
            reply = [
                *lead,
                text("interviewer.steer_open", ctx.lang, section=_title(ctx, section)),
                point.question,
            ]
            return _decision(
                ctx,
                kind,
                "steer",
                section,
                reply,
                points=points,
                mistakes=mistakes,
                asked=[point.id],
            )
    reply = [*lead, text("interviewer.all_covered", ctx.lang)]
    return _decision(ctx, kind, "closing", frm, reply, points=points, mistakes=mistakes)


# ----- navigation and disagreement --------------------------------------------------------------


def _navigation(ctx: Context, analysis: MessageAnalysis, content: bool) -> Navigation | None:
    """Where a request takes the conversation: the section named right after a cue ("let's talk
    data", "go back to metrics", "skip ahead to serving"), the one before the current one ("can we
    go back?"), or the next one not done yet ("skip this", "metrics are covered, let's move on").
    In an answer with content, a cue counts only where it opens a request ("events go to Kafka"
    is no request to go anywhere)."""
    message = _closing_request(ctx.message)
    toks = words(message)
    if analysis.fact_ids or not toks or len(toks) > NAV_MAX_WORDS:
        return None
    cues = lexicon().classifier
    current = ctx.state.section
    named = named_sections(toks)
    requests = _requests(message, toks) if content or message != ctx.message else None

    def spans(terms: TermList) -> list[tuple[int, int]]:
        found = cue_spans(toks, terms)
        return [c for c in found if requests is None or requests(c[0])]

    go, back, skip = spans(cues.go_to), spans(cues.go_back), spans(cues.skip)
    move = spans(cues.move_on) if len(toks) <= SHORT else []
    # A section belongs to the cue nearest before it: "давай skip-нем архитектуру и перейдём к
    # data" skips the architecture, "skip to serving" (a skip and a go-to cue) goes to serving.
    targets = [s for s in named_after(toks, named, go) if _nearest(s, named, go, skip)]
    if skip:
        skipped = next(
            (s for s in named_after(toks, named, skip) if not _nearest(s, named, go, skip)),
            current,
        )
        rest = [s for s in targets if s != skipped] or [s for _, s in named if s != skipped]
        if rest:
            return Navigation("to", rest[0])
        return Navigation("next", _next_section(ctx, current, {skipped}))
    if back:
        first = [s for start, s in named if go and go[0][1] <= start < back[0][0]]
        if first:  # "let me do data first and come back to metrics after"
            return Navigation("to", first[0])
        before = named_after(toks, named, back) or [s for _, s in named]
        if before:
            return Navigation("back", before[0])
        return Navigation("back", SECTION_IDS[max(SECTION_IDS.index(current) - 1, 0)])
    if targets:
        return Navigation("to", targets[0])
    ahead = named_after(toks, named, move)
    if ahead:
        return Navigation("to", ahead[0])
    if move or analysis.kind == "move_on":  # what was named is done
        return Navigation("next", _next_section(ctx, current, {s for _, s in named}))
    if named and len(toks) <= OFF_TOPIC_MAX_WORDS:
        return Navigation("to", named[0][1])
    return None


def _closing_request(message: str) -> str:
    """Where a request to go somewhere is read: the whole message, or in a longer one its last
    `NAV_MAX_WORDS` words from a clause start ("...I'd rather not burn the clock on it, so let's
    move on and talk about the model itself"): a long answer says where it wants to go last."""
    toks = words(message)
    if len(toks) <= NAV_MAX_WORDS:
        return message
    clauses = [c for c in _CLAUSE_BREAK.split(message) if words(c)]
    tail: list[str] = []
    while clauses and len(words(" ".join([clauses[-1], *tail]))) <= NAV_MAX_WORDS:
        tail.insert(0, clauses.pop())
    return ", ".join(tail) if tail else message


def _last_clause(message: str) -> str:
    return next(iter([c for c in _CLAUSE_BREAK.split(message) if words(c)][-1:]), "")


def _nearest(
    section: SectionId,
    named: list[tuple[int, SectionId]],
    cues: list[tuple[int, int]],
    others: list[tuple[int, int]],
) -> bool:
    """Whether the last cue before where `section` is named is one of `cues`, not of `others`
    (a tie goes to `others`: "lets skip metrics" is a go-to and a skip cue, and skips)."""
    start = next(at for at, s in named if s == section)

    def last(spans: list[tuple[int, int]]) -> int:
        return max((end for _, end in spans if end <= start), default=-1)

    return last(cues) > last(others)


def _requests(message: str, toks: list[str]) -> Callable[[int], bool]:
    """Whether a cue starting at a word opens a request: only lead words (lexicon
    `lead_words`), function words or other navigation cues' words come before it in its clause
    ("actually, can we go back", "слушай, давай вернёмся")."""
    cues = lexicon().classifier
    allowed = {
        w
        for terms in (cues.go_to, cues.go_back, cues.skip, cues.move_on)
        for term in terms.listed
        for w in words(term.replace("*", " "))
    }
    starts, n = [], 0
    for clause in _CLAUSE_BREAK.split(message):
        starts.append(n)
        n += len(words(clause))

    def opens(at: int) -> bool:
        clause = max(s for s in starts if s <= at)
        return all(w in STOP_WORDS or w in cues.lead_words or w in allowed for w in toks[clause:at])

    return opens


def _next_section(ctx: Context, frm: SectionId, done: set[SectionId]) -> SectionId | None:
    """Where "next" goes: the first section after `frm`, in order, that is not in `done` and the
    interview has not been to yet (the interviewer asked there); a passing mention of a section
    in an answer does not count as having been there."""
    been = {ctx.section_of(p) for p in ctx.asked}
    been |= {
        s for s in SECTION_IDS if any(_section_question(ctx, s) in t for t in ctx.interviewer_said)
    }
    return next((s for s in _after(frm) if s not in done | been), None)


def _disagrees(message: str) -> bool:
    first = next(iter(_sentences(message)), "")
    return first in lexicon().classifier.challenge


def _about_the_problem(ctx: Context) -> bool:
    """A few words the classifier could not place still speak of the problem when they share a
    word with the scenario or the open points ("we'd train on the CPU cluster"); "ok, thanks"
    does not."""
    said = set(_content_stems(ctx.message))
    if not said:
        return False
    known = [ctx.scenario.prompt, *(f.text for f in ctx.scenario.facts)]
    known += [p.description for p in ctx.points]
    return any(said & set(_content_stems(t)) for t in known)


def _has_content(signals: Signals) -> bool:
    """The message says something about the design: a cue term of a section that is more than
    the section's name ("offline metrics" is content, "metrics" is a name), or a mistake."""
    if signals.mistakes:
        return True
    names = lexicon().grading.section_names.values()
    return any(
        w not in STOP_WORDS and not any(w in n for n in names)
        for terms in signals.sections.values()
        for term in terms
        for w in words(term.replace("*", " "))
    )


# ----- sections and points ----------------------------------------------------------------------


def _follow(ctx: Context) -> SectionId:
    """The section an answer is about, where the conversation follows it: the one it opens by
    naming ("Serving: shadow mode first", "For the model I'd start with...", "Модель — ..."),
    else the one its content weighs most towards, when that is at least FOLLOW_MIN_WEIGHT (more
    for an answer to a probe) and more than the current section's (a passing mention does not
    move the conversation)."""
    lead = _lead(ctx)
    if lead is not None:
        return lead
    sections = [s for p in _points_hit(ctx) if (s := ctx.section_of(p)) is not None]
    least = PROBED_FOLLOW_MIN_WEIGHT if _answers_a_probe(ctx) else FOLLOW_MIN_WEIGHT
    return weighted_section(ctx.signals.sections, sections, ctx.state.section, least=least)


def _answers_a_probe(ctx: Context) -> bool:
    """The interviewer's last words asked about an open point of the current section."""
    said = ctx.interviewer_said
    last = " ".join(said[-1].split()) if said else ""
    here = [p for p in ctx.points if p.section == ctx.state.section]
    return any(" ".join(p.question.split()) in last for p in here)


_HEADING = re.compile(r"^\s*([^:—–\n]{1,40}?)\s*(?::|\s[—–-]\s)")


def _lead(ctx: Context) -> SectionId | None:
    """The one section an answer opens with: its name as a heading ("Serving: shadow mode
    first…", "Model-wise, …") or at the very start ("Monitoring of errors by city"), or after
    function words with a lead word among them ("For the model I'd start with…", "Для модели
    начну с…"), but not as a subject or an object ("The model is retrained weekly", "I would
    train a model…"); or a section's cue word as its heading ("Схема: edge-сервер…")."""
    message = ctx.message.strip()
    first = words(_CLAUSE_BREAK.split(message, maxsplit=1)[0])
    opening = [part for w in first for part in w.split("-") if part][:LEAD_WORDS]  # "model-wise"
    leads = lexicon().classifier.lead_words
    heading = _HEADING.match(message)
    is_heading = heading is not None and len(words(heading[1])) <= HEADING_MAX_WORDS

    def opens(start: int) -> bool:
        before = opening[:start]
        fillers = all(w in STOP_WORDS or w in leads for w in before)
        return fillers and (not before or is_heading or any(w in leads for w in before))

    named = {s for start, s in named_sections(opening) if opens(start)}
    if not named and heading is not None and is_heading:
        found = ctx.signals.sections.items()
        named = {s for s, terms in found if terms and compiled_terms(tuple(terms)).find(heading[1])}
    return named.pop() if len(named) == 1 else None


def _designs_before_asking(ctx: Context) -> bool:
    """The candidate starts designing without having asked anything: the interview is still at
    the requirements, no fact was told, nothing they said so far asks a question, and this
    answer's content is mostly about the design sections (at least FOLLOW_MIN_WEIGHT in all, more
    than about the requirements)."""
    said = [t.text for t in ctx.conversation if t.role == "candidate"]
    if ctx.state.section != "requirements" or ctx.state.disclosed_facts:
        return False
    if any("?" in t for t in said):
        return False
    sections = [s for p in _points_hit(ctx) if (s := ctx.section_of(p)) is not None]
    weight = section_weights(ctx.signals.sections, sections)
    design = sum(w for s, w in weight.items() if s != "requirements")
    return design >= FOLLOW_MIN_WEIGHT and design > weight["requirements"]


def _points_hit(ctx: Context) -> list[str]:
    known = {p.id for p in ctx.points}
    return [p for p in dict.fromkeys(ctx.signals.points) if p in known]


def _probe_point(ctx: Context, section: SectionId, covered: set[str]) -> OpenPoint | None:
    """The open point of `section` to ask about: neither covered nor asked, within the section's
    allowance, the one whose description shares most words with the message (ties: list order)."""
    asked_here = sum(1 for p in ctx.asked if ctx.section_of(p) == section)
    if asked_here >= MAX_PROBES_PER_SECTION:
        return None
    todo = [p for p in ctx.points if p.section == section and p.id not in covered | ctx.asked]
    if not todo:
        return None
    said = set(_content_stems(ctx.message))
    return max(todo, key=lambda p: len(said & set(_content_stems(p.description))))


def _next_without_content(frm: SectionId, content: set[SectionId]) -> SectionId | None:
    """The first section after `frm` without content, else the first before it."""
    return next((s for s in _after(frm) if s not in content), None)


def _after(frm: SectionId) -> list[SectionId]:
    """Every other section: those after `frm` in order, then those before it."""
    i = SECTION_IDS.index(frm)
    return [*SECTION_IDS[i + 1 :], *SECTION_IDS[:i]]


# ----- the candidate's words --------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.?!…])\s+|\n+")
_CLAUSE_BREAK = re.compile(r"[.?!…;\n]+\s*|,\s+|:\s+|\s+[—–-]\s+|\s*[()]\s*")
_QUOTES = " \t\"'“”„«»‘’`"


def _sentences(message: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(message) if s.strip()]


def _quote(message: str, anchors: Terms | None) -> str:
    """A short phrase of the message: the clause with most `anchors`, cut to a window of at most
    QUOTE_MAX_WORDS words around them ("…" marks a cut)."""
    clauses = [c.strip(_QUOTES) for c in _CLAUSE_BREAK.split(message)]
    clauses = [c for c in clauses if words(c)]
    if not clauses:
        return " ".join(message.split()[:QUOTE_MAX_WORDS])

    def hits(part: str) -> int:
        return len(anchors.find(part)) if anchors is not None else 0

    best = max(clauses, key=lambda c: (hits(c), min(len(c.split()), QUOTE_MAX_WORDS)))
    tokens = best.split()
    if len(tokens) <= QUOTE_MAX_WORDS:
        return best.strip(",;:")
    starts = range(len(tokens) - QUOTE_MAX_WORDS + 1)
    scores = {i: hits(" ".join(tokens[i : i + QUOTE_MAX_WORDS])) for i in starts}
    top = [i for i in starts if scores[i] == max(scores.values())]
    # One cut reads better than two: the window that ends with the clause, else the one that
    # starts it, else the one with the anchors in its middle.
    last = len(tokens) - QUOTE_MAX_WORDS
    start = last if last in top else 0 if 0 in top else top[len(top) // 2]
    end = start + QUOTE_MAX_WORDS
    phrase = " ".join(tokens[start:end]).strip(",;:")
    return ("…" if start > 0 else "") + phrase + ("…" if end < len(tokens) else "")


def _section_anchors(ctx: Context, section: SectionId) -> Terms | None:
    """What to quote for a follow-up: the section's cue terms in the message, else any section's,
    else the message's own content words."""
    found = ctx.signals.sections.get(section) or [
        t for terms in ctx.signals.sections.values() for t in terms
    ]
    if found:
        return compiled_terms(tuple(dict.fromkeys(found)))
    return None


def _anchor_words(text_: str) -> Terms:
    """The content words of a text, as terms matched by stem."""
    content = [w for w in words(text_) if w.isalpha() and len(w) > 2 and w not in STOP_WORDS]
    return compiled_terms(tuple(dict.fromkeys(content)))


def _content_stems(text_: str) -> list[str]:
    """Stems of the words that carry meaning: no function words, no numbers, no single letters."""
    return [
        s
        for w, s in zip(words(text_), stems(text_), strict=True)
        if w not in STOP_WORDS and len(w) > 2 and not w[0].isdigit()
    ]


def _cite(ctx: Context, prefix: str, quote: str) -> str:
    """A lead-in citing `quote`, one of the catalogue's keys that start with `prefix`: they take
    turns, and one the interviewer used in its last LEAD_MEMORY turns is passed over."""
    keys = sorted(k for k in load_catalogue().entries if k.startswith(prefix))
    said = ctx.interviewer_said
    recent = said[-LEAD_MEMORY:]
    start = len(said) % len(keys)
    order = keys[start:] + keys[:start]
    for key in order:
        lead = text(key, ctx.lang, quote=_QUOTE_MARK).split(_QUOTE_MARK)[0].strip()
        if not any(lead in s for s in recent):
            return text(key, ctx.lang, quote=quote)
    return text(order[0], ctx.lang, quote=quote)


# ----- phrases ----------------------------------------------------------------------------------


def _title(ctx: Context, section: SectionId) -> str:
    return SECTION_TITLES[section][ctx.lang]


def _section_question(ctx: Context, section: SectionId) -> str:
    return text(f"interviewer.section_question.{section}", ctx.lang)


def _fresh_question(ctx: Context, section: SectionId) -> tuple[str, list[str]]:
    """A question about `section` the interviewer has not said yet, and the open points it asks:
    the section's own question, else an open point neither covered nor asked, else the section's
    question again."""
    opening = _section_question(ctx, section)
    if not any(opening in t for t in ctx.interviewer_said):
        return opening, []
    done = set(ctx.state.points_covered) | ctx.asked
    point = next((p for p in ctx.points if p.section == section and p.id not in done), None)
    return (point.question, [point.id]) if point is not None else (opening, [])


def _decision(
    ctx: Context,
    message_kind: MessageKind,
    reply_kind: ReplyKind,
    section: SectionId,
    reply: list[str],
    *,
    facts: list[str] | None = None,
    points: list[str] | None = None,
    mistakes: list[str] | None = None,
    asked: list[str] | None = None,
) -> TurnDecision:
    """The decision; `points` covered by the message, `mistakes` it makes, `asked` the open
    points the reply asks about."""
    return TurnDecision(
        message_kind=message_kind,
        fact_ids=facts or [],
        section=section,
        points_covered=points or [],
        mistakes=mistakes or [],
        points_asked=asked or [],
        reply_kind=reply_kind,
        reply=" ".join(part.strip() for part in reply if part.strip()),
    )
