"""Load and validate the knowledge base: cheat-sheet passages, rubric, fact topics and scenarios.

Files live under `knowledge/` (see its README). Every model forbids unknown fields, and any
problem becomes a one-line `KnowledgeError` naming the file and the field.
"""

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.base.errors import InputError, KnowledgeError
from simulator.base.sections import SECTION_IDS, Lang, SectionId

FACT_TOPICS = (
    "data_scale",
    "hardware",
    "latency",
    "retraining",
    "labels",
    "privacy",
    "deployment",
    "traffic",
)
REQUIRED_FACT_TOPICS = ("data_scale", "hardware", "latency", "retraining")
PIPELINE_ROLE = "pipeline"
"""The role of the checkpoint that an answer laying out the system end to end covers."""
SCORE_LEVELS = (0, 1, 2, 3, 4)
"""The scale every section is scored on: 0 not addressed ... 4 thorough and tied to the facts."""


# A user's id is echoed in errors only up to this length: a 100 KB id must not flood the terminal.
ID_ECHO_CHARS = 60


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(Strict):
    en: str = Field(min_length=1)
    """English text."""
    ru: str = Field(min_length=1)
    """Russian text."""

    def __call__(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.ru


class BilingualTerms(Strict):
    en: list[str] = Field(min_length=1)
    """Cue terms in English (see `textnorm.Terms` for the syntax)."""
    ru: list[str] = Field(min_length=1)
    """Cue terms in Russian."""

    def __call__(self, lang: Lang) -> list[str]:
        return self.en if lang == "en" else self.ru


class Passage(Strict):
    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    """Stable id, cited by the rubric and the report."""
    section: SectionId
    """Which of the six sections this point belongs to."""
    title: Bilingual
    """A short heading."""
    text: Bilingual
    """The point in our own words."""


class Checkpoint(Strict):
    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    """Stable id, e.g. `data.imbalance`."""
    weight: float = Field(gt=0)
    """Relative importance inside its section."""
    description: Bilingual
    """What a good answer does."""
    evidence: BilingualTerms
    """Terms whose presence in the candidate's words shows the point was addressed."""
    probe: Bilingual
    """A follow-up question the interviewer asks when the point is missing; never the answer."""
    passage: str
    """Id of the knowledge passage that explains the point."""
    credited_by_topics: list[str] = Field(default_factory=list)
    """Fact topics (keys of `topics.yaml`) whose clarifying question covers this point: asking how
    much data there is is itself what `requirements.data_volume` asks for."""
    role: Literal["pipeline"] | None = None
    """`pipeline`: the one checkpoint a chain of arrows or a block wiring named parts together
    covers, whatever its terms; its section is the one that says how the others connect."""


class RubricSection(Strict):
    weight: float = Field(gt=0)
    """Weight of the section in the overall score (data and model weigh most)."""
    levels: dict[int, Bilingual]
    """What an answer at each score of SCORE_LEVELS looks like in this section, in both languages:
    the grader's anchors."""
    checkpoints: list[Checkpoint] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _every_level(cls, levels: dict[int, Bilingual]) -> dict[int, Bilingual]:
        if sorted(levels) != list(SCORE_LEVELS):
            missing = [str(s) for s in SCORE_LEVELS if s not in levels]
            extra = [str(s) for s in sorted(levels) if s not in SCORE_LEVELS]
            problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"
            raise ValueError(f"needs a descriptor for each score 0..4 ({problem})")
        return levels


class Rubric(Strict):
    sections: dict[SectionId, RubricSection]

    @model_validator(mode="after")
    def _all_sections(self) -> "Rubric":
        missing = [s for s in SECTION_IDS if s not in self.sections]
        if missing:
            raise ValueError(f"sections missing: {', '.join(missing)}")
        pipelines = [cp.id for _, cp in self._checkpoints() if cp.role == PIPELINE_ROLE]
        if len(pipelines) != 1:
            found = ", ".join(pipelines) or "none"
            raise ValueError(f"exactly one checkpoint needs `role: {PIPELINE_ROLE}` ({found})")
        credited = [t for _, cp in self._checkpoints() for t in cp.credited_by_topics]
        if not credited:
            raise ValueError("no checkpoint has `credited_by_topics`")
        twice = _duplicates(credited)
        if twice:
            raise ValueError(f"topics credit more than one checkpoint: {', '.join(twice)}")
        return self

    def _checkpoints(self) -> list[tuple[SectionId, Checkpoint]]:
        return [(sid, cp) for sid, s in self.sections.items() for cp in s.checkpoints]

    def credited_by(self, topics: Iterable[str]) -> set[str]:
        """Ids of the checkpoints that a clarifying question about any of `topics` covers."""
        asked = set(topics)
        return {cp.id for _, cp in self._checkpoints() if asked & set(cp.credited_by_topics)}


class Fact(Strict):
    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    topic: str = Field(pattern=r"^[a-z_]+$")
    """One of FACT_TOPICS or a scenario-specific topic."""
    en: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    terms: BilingualTerms | None = None
    """Extra cue terms for this fact, added to its topic's cues."""

    def text(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.ru


class ScenarioPoint(Strict):
    id: str = Field(pattern=r"^[a-z0-9_.]+$")
    description: Bilingual
    """What a strong answer says about this scenario in this section."""
    evidence: BilingualTerms


class Scenario(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: Bilingual
    prompt: Bilingual
    """The deliberately vague opening prompt."""
    facts: list[Fact] = Field(min_length=4)
    """Hidden facts, disclosed only when asked."""
    points: dict[SectionId, list[ScenarioPoint]]
    """Per section, the scenario-specific points a strong answer makes."""

    @model_validator(mode="after")
    def _required_topics(self) -> "Scenario":
        topics = {f.topic for f in self.facts}
        missing = [t for t in REQUIRED_FACT_TOPICS if t not in topics]
        if missing:
            raise ValueError(f"facts missing for topics: {', '.join(missing)}")
        ids = [f.id for f in self.facts]
        if len(ids) != len(set(ids)):
            raise ValueError("fact ids must be unique")
        return self

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)


class KnowledgeBase(Strict):
    passages: list[Passage]
    rubric: Rubric
    topics: dict[str, BilingualTerms]
    """Cue terms per fact topic, for recognising clarifying questions."""
    scenarios: list[Scenario]
    digest: str
    """Hash of every file under knowledge/, so the index knows when to rebuild."""

    def passage(self, passage_id: str) -> Passage | None:
        return self._passages_by_id().get(passage_id)

    def _passages_by_id(self) -> dict[str, Passage]:
        return {p.id: p for p in self.passages}

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def require_scenario(self, scenario_id: str) -> Scenario:
        """The scenario, or a one-line InputError listing the known ids (the id is shortened: it
        may be anything a user typed)."""
        scenario = self.scenario(scenario_id)
        if scenario is None:
            shown = (
                scenario_id
                if len(scenario_id) <= ID_ECHO_CHARS
                else scenario_id[:ID_ECHO_CHARS] + "…"
            )
            known = ", ".join(sorted(s.id for s in self.scenarios))
            raise InputError(f"unknown scenario {shown!r}; known: {known}")
        return scenario


M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    """A YAML file's data, or a one-line KnowledgeError naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: file is missing") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None


def _validate(model: type[M], data: Any, path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise KnowledgeError(f"{path}: field {field}: {err['msg']}") from None


class _PassageFile(Strict):
    passages: list[Passage]


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: folder is missing")
    return sorted(folder.glob("*.yaml"))


def digest_of(root: Path) -> str:
    """Content hash of every file below `root`, names included."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def load_knowledge(root: Path) -> KnowledgeBase:
    """Load and cross-check everything under `root` (the `knowledge/` folder)."""
    return _load_cached(root.resolve(), digest_of(root))


@lru_cache(maxsize=4)
def _load_cached(root: Path, digest: str) -> KnowledgeBase:
    passages: list[Passage] = []
    for path in _yaml_files(root / "passages"):
        passages.extend(_validate(_PassageFile, read_yaml(path), path).passages)
    rubric_path = root / "rubric.yaml"
    rubric = _validate(Rubric, read_yaml(rubric_path), rubric_path)
    topics_path = root / "topics.yaml"
    topics = _validate(_Topics, {"topics": read_yaml(topics_path)}, topics_path).topics
    scenarios = [
        _validate(Scenario, read_yaml(path), path) for path in _yaml_files(root / "scenarios")
    ]
    _cross_check(passages, rubric, topics, scenarios, rubric_path, root / "scenarios")
    return KnowledgeBase(
        passages=passages, rubric=rubric, topics=topics, scenarios=scenarios, digest=digest
    )


class _Topics(Strict):
    topics: dict[str, BilingualTerms]


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]


def _cross_check(
    passages: list[Passage],
    rubric: Rubric,
    topics: dict[str, BilingualTerms],
    scenarios: list[Scenario],
    rubric_path: Path,
    scenario_dir: Path,
) -> None:
    dup = _duplicates(p.id for p in passages)
    if dup:
        raise KnowledgeError(f"passages: duplicate ids: {', '.join(dup)}")
    known = {p.id for p in passages}
    for section_id, section in rubric.sections.items():
        for cp in section.checkpoints:
            if cp.passage not in known:
                raise KnowledgeError(
                    f"{rubric_path}: field sections.{section_id}.{cp.id}.passage: "
                    f"unknown passage id {cp.passage!r}"
                )
            unknown = [t for t in cp.credited_by_topics if t not in topics]
            if unknown:
                raise KnowledgeError(
                    f"{rubric_path}: field sections.{section_id}.{cp.id}.credited_by_topics: "
                    f"unknown fact topic {unknown[0]!r} (not in topics.yaml)"
                )
    dup = _duplicates(cp.id for s in rubric.sections.values() for cp in s.checkpoints)
    if dup:
        raise KnowledgeError(f"{rubric_path}: duplicate checkpoint ids: {', '.join(dup)}")
    dup = _duplicates(s.id for s in scenarios)
    if dup:
        raise KnowledgeError(f"{scenario_dir}: duplicate scenario ids: {', '.join(dup)}")
