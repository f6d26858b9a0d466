"""The ``comfyvn`` command line: one module per verb group, thin over :mod:`comfyvn_vault.vault`."""
