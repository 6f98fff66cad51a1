"""Validation: each table on its own, the rules across tables, the release record; `validate` runs them all."""
