"""The one error type for unusable layer files, and the problems it carries.

Why a structured error: planners fix files in QGIS, so every problem must say which file,
which feature (1-based, as QGIS counts them, plus the id when known), what is wrong and what
to do, in Spanish first and English after. All problems of a file are gathered and reported
together (up to a cap) so that one round of fixes is enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import CulturamapError

MAX_PROBLEMS = 50  # beyond this the message says "and N more"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or repaired, for warnings) in a layer file."""

    path: Path | None
    problem_es: str
    problem_en: str
    hint_es: str = ""
    hint_en: str = ""
    row: int | None = None  # 1-based feature number in file order; None = the whole file
    feature_id: str | None = None

    @property
    def where(self) -> str:
        """Where in the file, e.g. ``elemento 3 (id V-003) / feature 3``."""
        if self.row is None:
            return ""
        ident = f" (id {self.feature_id})" if self.feature_id else ""
        return f"elemento/feature {self.row}{ident}"

    def render(self, with_path: bool = True) -> str:
        head = []
        if with_path and self.path is not None:
            head.append(str(self.path))
        if self.where:
            head.append(self.where)
        prefix = ": ".join(head)
        text = f"{self.problem_es} / {self.problem_en}"
        line = f"{prefix}: {text}" if prefix else text
        if self.hint_es or self.hint_en:
            line += f"\n    Qué hacer: {self.hint_es} / What to do: {self.hint_en}"
        return line


@dataclass
class LayerError(CulturamapError, ValueError):
    """A layer file cannot be used; nothing of it was loaded.

    ``str()`` lists every problem (file, feature, problem, what to do). The first problem is
    also exposed as ``.row``, ``.feature_id``, ``.problem`` and ``.hint`` for callers that
    show a single line.
    """

    path: Path | None
    problems: list[Problem] = field(default_factory=list)
    layer: str | None = None
    omitted: int = 0  # problems found beyond MAX_PROBLEMS

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path = Path(self.path)
        if len(self.problems) > MAX_PROBLEMS:
            self.omitted += len(self.problems) - MAX_PROBLEMS
            self.problems = self.problems[:MAX_PROBLEMS]
        super().__init__(self.render())

    @classmethod
    def single(
        cls,
        path: Path | str | None,
        problem_es: str,
        problem_en: str,
        hint_es: str = "",
        hint_en: str = "",
        layer: str | None = None,
    ) -> LayerError:
        """A file-level error with one problem (unreadable file, no CRS, ...)."""
        p = Path(path) if path is not None else None
        return cls(p, [Problem(p, problem_es, problem_en, hint_es, hint_en)], layer=layer)

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def row(self) -> int | None:
        return self.first.row if self.first else None

    @property
    def feature_id(self) -> str | None:
        return self.first.feature_id if self.first else None

    @property
    def problem(self) -> str:
        return f"{self.first.problem_es} / {self.first.problem_en}" if self.first else ""

    @property
    def hint(self) -> str:
        return f"{self.first.hint_es} / {self.first.hint_en}" if self.first else ""

    def render(self) -> str:
        total = len(self.problems) + self.omitted
        if total == 0:  # legacy use: LayerError("message")
            return str(self.path)
        name = f"«{self.layer}» " if self.layer else ""
        name_en = f'"{self.layer}" ' if self.layer else ""
        head = (
            f"{self.path}: la capa {name}no se puede cargar ({total} problema(s)) / "
            f"layer {name_en}cannot be loaded ({total} problem(s))"
        )
        lines = [head]
        for p in self.problems:
            same_file = p.path is None or self.path is None or p.path == self.path
            lines.append("  - " + p.render(with_path=not same_file))
        if self.omitted:
            lines.append(f"  ... y {self.omitted} más / and {self.omitted} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def __hash__(self) -> int:  # exceptions must stay hashable for tracebacks
        return id(self)
