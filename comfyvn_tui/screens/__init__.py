"""Screens pushed over the main screen: dialogs, the key list, time travel."""
