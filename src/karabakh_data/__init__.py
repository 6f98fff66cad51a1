"""karabakh-data: hand-coded, schema-validated tables on the Nagorno-Karabakh conflict.

    import karabakh_data
    events = karabakh_data.load("events")
    tables = karabakh_data.load_all()

The loading functions import only pandas and pyarrow; the validation stack is imported by the
`karabakh-data` command when it validates or builds.
"""

__all__ = ["load", "load_all", "table_names", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # imported on first use, so that the command line (which never loads) does not pay for pandas
    if name in ("load", "load_all", "table_names"):
        from . import loading

        return getattr(loading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
