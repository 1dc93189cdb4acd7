"""Sphinx extension: leave the chapters' saved ipywidgets state out of the HTML book.

Executing a chapter saves the state of its live explorers in the notebook, and myst-nb embeds it in the page (up to
200 kB) for widget JavaScript to draw. The HTML book has no kernel, so such a view would show sliders that change
nothing: the chapters tag their live cells ``remove-output``, ``nb_ipywidgets_js: {}`` loads no widget JavaScript,
and this extension drops the state itself. scripts/check_book_html.py checks the result.
"""

from __future__ import annotations


def drop_widget_state(app, env):
    for page in getattr(env, "nb_metadata", {}).values():
        js_files = page.get("js_files", {})
        for key in [k for k in js_files if k.startswith("ipywidgets")]:
            del js_files[key]


def setup(app):
    app.connect("env-updated", drop_widget_state)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
