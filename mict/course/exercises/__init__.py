"""Checks for the course's exercises: each says what is wrong, not just that something is.

One module per notebook topic (`mict.exercises.data`, `.augmentation`, `.architecture`,
`.training`) holds its `check_*` functions, built on `run_check` below.

How exercises run (also headlessly, in CI): the student's cell defines a function that
returns None until completed; `check_*` then prints that it is still to do, and does not
raise. The solution cell that follows (collapsed in JupyterLab) defines the reference
answer and calls the same check with `strict=True`, which raises if it fails, so the
solutions are tested every time the course runs.
"""

from dataclasses import dataclass, field


@dataclass
class CheckResult:
    name: str
    passed: bool
    attempted: bool = True
    messages: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.attempted:
            return f"◻ {self.name}: not attempted yet (your function returned None). Complete the cell above."
        if self.passed:
            return f"✓ {self.name}: correct."
        return f"✗ {self.name}:\n  " + "\n  ".join(self.messages)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return str(self).replace("\n", "  \n")


class ExerciseFailed(AssertionError):
    pass


def run_check(name: str, cases, strict: bool = False) -> CheckResult:
    """Run `cases`: an iterable of (description, got, expected) triples; None from the student means
    'not attempted'. With `strict`, a failure raises ExerciseFailed (used by solution cells).

    The result shows itself when it ends a notebook cell (and prints as text elsewhere)."""
    result = CheckResult(name, passed=True)
    for description, got, expected in cases:
        if got is None:
            result.attempted, result.passed = False, False
            break
        if not _equal(got, expected):
            result.passed = False
            result.messages.append(f"{description}: expected {expected!r}, got {got!r}")
    if strict and not result.passed:
        raise ExerciseFailed(str(result))
    return result


def _equal(got, expected) -> bool:
    try:
        import torch

        if isinstance(got, torch.Tensor) or isinstance(expected, torch.Tensor):
            return torch.equal(torch.as_tensor(got), torch.as_tensor(expected))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(expected, float):
        return isinstance(got, int | float) and abs(got - expected) <= 1e-6 * max(1.0, abs(expected))
    if isinstance(expected, tuple | list):
        return isinstance(got, tuple | list) and len(got) == len(expected) and all(
            _equal(g, e) for g, e in zip(got, expected, strict=True))
    return got == expected
