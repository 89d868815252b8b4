"""Keeping each notebook's two files in step: the py:percent source and its .ipynb.

The .py file is the source of truth. `write_pairs()` rewrites every .ipynb from it, without
outputs, with the pairing recorded for jupytext (so that JupyterLab saves edits to both) and
with a kernelspec, so that JupyterLab opens it without asking the student to pick a kernel.
`make notebooks` runs it after a notebook's source is edited.
"""

import hashlib
from pathlib import Path

from .settings import notebooks_dir

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
PAIRING = {"formats": "ipynb,py:percent", "notebook_metadata_filter": "-all",
           "cell_metadata_filter": "tags,jupyter,-all"}


def paired_notebook(source: Path):
    """The .ipynb content for a py:percent source: its cells, no outputs, the pairing and the kernel."""
    import jupytext

    notebook = jupytext.read(source)
    notebook.metadata = {"jupytext": dict(PAIRING), "kernelspec": dict(KERNELSPEC),
                         "language_info": {"name": "python"}}
    for index, cell in enumerate(notebook.cells):
        # Ids derived from the cell, not drawn at random: rewriting an unchanged notebook changes no byte.
        cell.id = hashlib.sha1(f"{index}:{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def write_pairs(folder: Path | None = None) -> list[Path]:
    """Rewrite every NN_name.ipynb of `folder` (default: the course's notebooks) from its .py source."""
    import jupytext

    written = []
    for source in sorted((folder or notebooks_dir()).glob("[0-9][0-9]_*.py")):
        target = source.with_suffix(".ipynb")
        jupytext.write(paired_notebook(source), target, fmt="ipynb")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_pairs():
        print(f"wrote {path}")
