"""Sphinx configuration of the course website (`make site`, see mict/course/site.py).

The sources are staged in build/site-src/ from the README and the executed notebooks; this
file only says how to render them. Nothing is executed: the notebooks carry their outputs.
"""

project = "MiCT-Net, a notebook course"
author = "the MiCT-Net course authors"
copyright = "the MiCT-Net course authors, Apache-2.0"

extensions = ["myst_nb", "sphinx.ext.githubpages"]  # githubpages: a .nojekyll, so Pages serves _static/
exclude_patterns = [".doctrees", "**/.ipynb_checkpoints"]

# myst-nb: render the stored outputs, never run a kernel; widgets are replaced by their static
# figures when the sources are staged, so no widget JavaScript is needed (nor fetched from a CDN).
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

html_theme = "sphinx_book_theme"
html_title = project
html_favicon = "_static/favicon.svg"  # without one, Chromium asks for /favicon.ico and logs a 404
html_context = {"default_mode": "light"}  # the theme logs an error on a first visit without one
html_copy_source = False  # the notebooks are in the repository; the site stays small
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
