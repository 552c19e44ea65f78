"""Demo personas and synthetic load data. Never used by the running portal itself."""
