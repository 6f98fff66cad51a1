"""karabakh-data: hand-coded, schema-validated tables on the Nagorno-Karabakh conflict.

    import karabakh_data
    events = karabakh_data.load("events")
    tables = karabakh_data.load_all()

Importing this package loads only pandas and pyarrow; the validation stack is imported by the
`karabakh-data` command when it validates or builds.
"""

from .loading import load, load_all, table_names

__all__ = ["load", "load_all", "table_names", "__version__"]
__version__ = "0.1.0"
