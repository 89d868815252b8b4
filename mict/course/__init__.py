"""The course layer: what the notebooks call, on top of the core library (d2l's chapter helpers).

* `settings`: the notebooks, where the course writes, each profile's settings, `get_run`;
* `results`: the numbers each notebook records and the bands CI holds them to;
* `runner`: `mict course`, executing every notebook headlessly;
* `analysis/`: shape traces, inflation tables, the split-leak study, the ablations;
* `viz/`, `widgets/`, `exercises/`: figures, interactive widgets and the exercises' checks.

Nothing in the core (`mict.models`, `mict.data`, training, evaluation, …) imports this package.
"""

from .results import BANDS, OutsideBandError, Results, load_results
from .runner import execute_notebook, format_course_table, inject_parameters, run_course
from .settings import NOTEBOOKS, CourseSettings, FiguresOnlyError, figures_dir, get_run, notebooks_dir, settings

__all__ = [
    "BANDS", "NOTEBOOKS", "CourseSettings", "FiguresOnlyError", "OutsideBandError", "Results", "execute_notebook",
    "figures_dir", "format_course_table", "get_run", "inject_parameters", "load_results", "notebooks_dir",
    "run_course", "settings",
]
