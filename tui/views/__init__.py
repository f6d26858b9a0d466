"""The views the number keys switch between; see :mod:`tui.views.registry`."""
