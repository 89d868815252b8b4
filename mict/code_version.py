"""A short hash of the code that produces a result, so that caches notice when it changes.

A trained run is only as current as the code that trained it. The run cache keys every
run by its configuration *and* by a hash of the modules that shape the trained weights;
shipped sweep results also record the hash of the evaluation code. Docstrings, comments
and formatting do not count: the hash is taken over the syntax tree.
"""

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

#: What decides the trained weights: the data pipeline, the architectures, the loop and its defaults.
TRAINING_SOURCES = ("data", "models", "config.py", "metrics.py", "optim.py", "runtime.py", "train.py")
#: What decides the numbers computed from trained weights.
EVALUATION_SOURCES = ("evaluate.py",)


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _files(sources: tuple[str, ...]) -> list[Path]:
    files = []
    for source in sources:
        path = PACKAGE_DIR / source
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


@cache
def code_version(sources: tuple[str, ...] = TRAINING_SOURCES) -> str:
    """12 hex digits that change when the code (not its comments or docstrings) of `sources` changes."""
    digest = hashlib.sha256()
    for path in _files(sources):
        tree = _without_docstrings(ast.parse(path.read_text(), filename=str(path)))
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(ast.unparse(tree).encode() + b"\0")
    return digest.hexdigest()[:12]
