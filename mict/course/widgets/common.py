"""A widget that redraws one matplotlib figure from its controls' values."""

import matplotlib.pyplot as plt


class FigureWidget:
    """Controls (ipywidgets) whose values drive `render(**values) -> Figure`.

    `render` is plain Python, so the default state is a static figure (`render_default`) and
    tests can set control values in code and see the output change (`last_values`,
    `last_figure`). `widget` is what a notebook displays.
    """

    def __init__(self, controls: dict):
        import ipywidgets as widgets

        self.controls = controls
        self.output = widgets.Output()
        self.last_values: dict | None = None
        self.last_figure: plt.Figure | None = None
        for control in controls.values():
            control.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([widgets.HBox(list(controls.values())[i : i + 3])
                                    for i in range(0, len(controls), 3)] + [self.output])

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def render(self, **values) -> plt.Figure:
        raise NotImplementedError

    def update(self) -> plt.Figure:
        values = self.values()
        figure = self.render(**values)
        self.last_values, self.last_figure = values, figure
        with self.output:
            self.output.clear_output(wait=True)
            from IPython.display import display

            display(figure)
        plt.close(figure)
        return figure

    def render_default(self) -> plt.Figure:
        """The figure for the controls' current (initial) values, without touching the widget."""
        return self.render(**self.values())

    def _ipython_display_(self):
        from IPython.display import display

        self.update()
        display(self.widget)
