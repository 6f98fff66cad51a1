"""The schemas and what is generated from them, the problem registry, and where files live (no project layer below)."""
