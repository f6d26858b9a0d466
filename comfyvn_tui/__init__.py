"""The Textual terminal UI for comfyvn-vault. It talks only to ``comfyvn_vault``'s public API."""
