"""The bundled demo: builds a vault from sample sources through the real CLI."""
