"""karabakh-data: hand-coded, schema-validated tables on the Nagorno-Karabakh conflict.

    import karabakh_data
    events = karabakh_data.load("events")      # a typed DataFrame; events.attrs holds the descriptions
    tables = karabakh_data.load_all()          # every table, by name
    karabakh_data.describe()                   # the tables: group, rows, primary key, description
    karabakh_data.describe("events")           # its columns: type, required, description, constraints, ...

The loading functions import only pandas and pyarrow; the validation stack is imported by the
`karabakh-data` command when it validates or builds.
"""

__all__ = ["load", "load_all", "describe", "table_names", "__version__"]
__version__ = "0.1.0"
_LOADING = ("load", "load_all", "describe", "table_names")


def __getattr__(name: str):
    # imported on first use, so that the command line (which never loads) does not pay for pandas
    if name in _LOADING:
        from . import loading

        return getattr(loading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # dir() and help() list the lazily imported functions too
    return sorted({*globals(), *_LOADING})
