"""Figures of the published tables for papers and the documentation: an event timeline and an
actor-event network, written as PNG files.

The PNG files are committed under docs/figures/ and checked for freshness like every other
generated file, so they must be byte-identical from run to run: no timestamps or software
version in the metadata, a fixed dpi and font, and Matplotlib's own defaults rather than
whatever matplotlibrc the user has. Matplotlib is imported only here, so `import karabakh_data`
stays as light as a Parquet read.
"""

from __future__ import annotations

from pathlib import Path

from ..loading import data_root, load
from .network import network
from .style import FONT, save
from .timeline import timeline


def make_figures(root: str | Path | None, out_dir: str | Path) -> list[Path]:
    """Write timeline.png and network.png for the published package at `root` into `out_dir`;
    return their paths, sorted."""
    import matplotlib as mpl

    root = data_root(root)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # each event with what its accounts say of it together: its status and who claims it
    estimates = load("event_estimates", root)[["event_id", "status", "claimants"]]
    events = load("events", root)
    version = events.attrs["version"]  # the published data's, which the figures draw
    events = events.merge(estimates, on="event_id", how="left")
    actors = load("actors", root)
    links = load("event_actors", root)
    roles = load("vocab_event_role", root)
    paths = [out / "network.png", out / "timeline.png"]
    with mpl.rc_context():
        mpl.rcdefaults()  # ignore the user's matplotlibrc and style
        mpl.rcParams.update(
            {
                "font.family": "sans-serif",
                "font.sans-serif": [FONT],
                "font.size": 8,
                "hatch.linewidth": 0.6,
                "axes.linewidth": 0.6,
            }
        )
        save(network(events, actors, links, roles, version), paths[0])
        save(timeline(events, version), paths[1])
    return paths
