"""Advisory and policy: license scan, findings and their quick fixes, the liability gate, the content filter."""
