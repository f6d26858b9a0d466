"""The views the number keys switch between; see :mod:`comfyvn_tui.views.registry`."""
