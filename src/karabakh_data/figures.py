"""Figures of the published tables for papers and the documentation: an event timeline and an
actor-event network, written as PNG files.

The PNG files are committed under docs/figures/ and checked for freshness like every other
generated file, so they must be byte-identical from run to run: no timestamps or software
version in the metadata, a fixed dpi and font, and Matplotlib's own defaults rather than
whatever matplotlibrc the user has. Matplotlib is imported only here, so `import karabakh_data`
stays as light as a Parquet read.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .loading import data_root, load

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

DPI = 200
FONT = "DejaVu Sans"  # bundled with Matplotlib, so every machine renders the same glyphs
ONE_DAY = pd.Timedelta(days=1)
PERIOD_GAP = pd.Timedelta(days=365)  # dated events further apart than this go to separate panels

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; grey is kept for 'none'.
# Its yellow is swapped for a dark olive, which stays visible as a light hatched fill.
PALETTE = ["#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#8C6D31", "#000000"]
NONE_COLOUR = "#9A9A9A"
ROLE_PALETTE = ["#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#7F3C8D", "#000000", "#8C6D31"]
ROLE_STYLE = {"claimant": (0, (4, 2)), "accused": (0, (1, 1.5)), "subject": (0, (1, 1.5))}  # speech, not deeds
EXACT = "day"


def make_figures(root: str | Path | None, out_dir: str | Path) -> list[Path]:
    """Write timeline.png and network.png for the published package at `root` into `out_dir`;
    return their paths, sorted."""
    import matplotlib as mpl

    root = data_root(root)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    version = json.loads((root / "schemas" / "_package.json").read_text(encoding="utf-8"))["version"]
    events = load("events", root)
    actors = load("actors", root)
    links = load("event_actors", root)
    roles = load("vocab_event_role", root)
    paths = [out / "network.png", out / "timeline.png"]
    with mpl.rc_context():
        mpl.rcdefaults()  # ignore the user's matplotlibrc and style
        mpl.rcParams.update({"font.family": "sans-serif", "font.sans-serif": [FONT], "font.size": 8,
                             "hatch.linewidth": 0.6, "axes.linewidth": 0.6})
        _save(_network(events, actors, links, roles, version), paths[0])
        _save(_timeline(events, actors, version), paths[1])
    return paths


def _save(fig: Figure, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI, metadata={"Software": None}, facecolor="white")


def _shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(str(text).split()), width=width, placeholder="…")


def _plover_colours(events: pd.DataFrame) -> dict[str, str]:
    """PLOVER type -> colour, the most frequent type first, so the order is fixed by the data."""
    counts = Counter(str(t) for t in events["plover_event_type"].dropna())
    ordered = sorted(counts, key=lambda t: (-counts[t], t))
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(ordered)}
    colours["none"] = NONE_COLOUR
    return colours


def _periods(dated: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Split the dated events' spans into periods separated by gaps longer than PERIOD_GAP."""
    spans = sorted(zip(dated["date_start"], dated["date_end"] + ONE_DAY))
    periods: list[list[pd.Timestamp]] = []
    for start, end in spans:
        if periods and start <= periods[-1][1] + PERIOD_GAP:
            periods[-1][1] = max(periods[-1][1], end)
        else:
            periods.append([start, end])
    return [(s, e) for s, e in periods]


def _period_axis(ax: Axes, start: pd.Timestamp, end: pd.Timestamp, width_in: float) -> str:
    """Ticks suited to the period's length and the panel's width in inches; returns the period's title.

    Ticks fall only in [start, end): a tick on the closing edge would put its label against the first
    label of the next panel."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedLocator

    days = (end - start).days
    last = end - ONE_DAY
    if days > 3 * 365:
        minor, fmt, title = pd.date_range(start, end, freq="YS"), "%Y", f"{start.year}–{last.year}"
        candidates = list(minor)
    elif days > 62:
        minor, fmt = pd.date_range(start, end, freq="MS"), "%b"
        candidates = list(minor)
        title = f"{start:%b}–{last:%b %Y}" if start.year == last.year else f"{start:%b %Y}–{last:%b %Y}"
    else:
        minor, fmt = pd.date_range(start, end, freq="D"), "%-d %b"
        candidates = [d for d in minor if d.day in (1, 8, 15, 22)]
        title = f"{start:%B %Y}" if (start.year, start.month) == (last.year, last.month) else f"{start:%b}–{last:%b %Y}"
    candidates = [t for t in candidates if t < end] or [start]
    pad = max(1.5, days * 0.04)
    day_in = width_in / (days + 2 * pad)
    # every step-th candidate gets a label, so labels (about 0.6 em per character) keep 0.06 in apart
    label_in = max(len(t.strftime(fmt)) for t in candidates) * 0.6 * 6.5 / 72 + 0.06
    gap_in = (candidates[-1] - candidates[0]).days / max(len(candidates) - 1, 1) * day_in
    step = 1
    while len(candidates) > 1 and step * gap_in < label_in:
        step += 1
    ticks = candidates[::step]
    ax.xaxis.set_major_locator(FixedLocator(mdates.date2num(ticks)))
    ax.xaxis.set_minor_locator(FixedLocator(mdates.date2num(minor)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    ax.set_xlim(start - pd.Timedelta(days=pad), end + pd.Timedelta(days=pad))
    return title


def _timeline(events: pd.DataFrame, actors: pd.DataFrame, version: str) -> Figure:
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    dated = events[events["date_start"].notna()].sort_values(["date_start", "date_end", "event_id"]).reset_index(drop=True)
    if dated.empty:
        raise ValueError("no dated events to draw a timeline of")
    undated = events[events["date_start"].isna()].sort_values("event_id")
    colours = _plover_colours(events)
    names = dict(zip(actors["actor_id"], actors["name"]))
    periods = _periods(dated)
    counts = [int(((dated["date_start"] >= s) & (dated["date_start"] < e)).sum()) for s, e in periods]
    n = len(dated)

    width = 7.2
    fig = Figure(figsize=(width, 2.1 + 0.235 * n))
    height = fig.get_figheight()
    renderer = FigureCanvasAgg(fig).get_renderer()
    # a panel's width grows with the number of events it holds, so the crowded period gets the room
    grid = fig.add_gridspec(1, len(periods), width_ratios=[1.25 + 0.15 * c for c in counts], wspace=0.05,
                            left=0.4, right=0.985, top=1 - 0.55 / height, bottom=1.62 / height)
    axes = [fig.add_subplot(grid[0, 0])]
    axes += [fig.add_subplot(grid[0, i], sharey=axes[0]) for i in range(1, len(periods))]
    axes[0].set_ylim(n - 0.5, -0.5)  # earliest event at the top
    axes[0].set_yticks(range(n))
    axes[0].set_yticklabels([f"{r.event_id}  {_shorten(r.summary, 50)}" for r in dated.itertuples()], fontsize=6.5)
    axes[0].tick_params(axis="y", length=0, pad=3)
    for ax in axes[1:]:
        ax.tick_params(axis="y", length=0, labelleft=False)
    # the panels start where the longest row label ends
    label_px = max(t.get_window_extent(renderer).width for t in axes[0].get_yticklabels())
    grid.update(left=(label_px / fig.dpi + 0.12) / width)

    tags = []
    for ax, (start, end) in zip(axes, periods):
        panel_in = ax.get_position().width * width
        ax.set_title(_period_axis(ax, start, end, panel_in), fontsize=7.5, fontweight="bold", pad=4)
        x_min, x_max = ax.get_xlim()
        day_in = panel_in / (x_max - x_min)
        for y in range(0, n, 2):
            ax.axhspan(y - 0.5, y + 0.5, color="#F0F0F0", lw=0, zorder=0)
        ax.tick_params(axis="x", labelsize=6.5, length=3, pad=2)
        ax.tick_params(axis="x", which="minor", length=1.5)
        for row in dated.itertuples():
            if not start <= row.date_start < end:
                continue
            plover = str(row.plover_event_type) if pd.notna(row.plover_event_type) else "none"
            colour = colours[plover]
            exact = row.date_precision == EXACT
            claimed = row.factuality != "asserted"
            x0 = mdates.date2num(row.date_start)
            span = mdates.date2num(row.date_end + ONE_DAY) - x0
            ax.barh(row.Index, span, left=x0, height=0.64, color=colour, alpha=1.0 if exact else 0.35, lw=0, zorder=2)
            ax.barh(row.Index, span, left=x0, height=0.64, fill=False, hatch=None if exact else "////",
                    edgecolor="black" if claimed else colour, lw=0.9 if claimed else 0.6,
                    linestyle=(0, (2.5, 1.5)) if claimed else "solid", zorder=3)
            if exact and span * day_in < 0.04:
                # a single day in a long period is too narrow to see as a bar
                ax.plot(x0 + span / 2, row.Index, marker="D", ms=4.5, color=colour,
                        mec="black" if claimed else colour, mew=0.6, zorder=4)
            if claimed:
                claimant = row.claimed_by_actor_id
                by = f" by\n{names.get(claimant, claimant)}" if pd.notna(claimant) else ""
                text = ax.annotate(f"{row.factuality}{by}", (x0 + span, row.Index), xytext=(3, 0),
                                   textcoords="offset points", va="center", ha="left", fontsize=5.8, linespacing=1.0,
                                   fontstyle="italic", color="#333333", zorder=4, annotation_clip=False)
                tags.append((ax, text, x0, row.Index))

    # a claim's label goes right of its bar, or left of it when it would leave the panel on the right
    for ax, text, x0, y in tags:
        if text.get_window_extent(renderer).x1 > ax.get_window_extent(renderer).x1:
            text.xy = (x0, y)
            text.set_position((-3, 0))
            text.set_horizontalalignment("right")
    _break_marks(axes)
    axes[len(axes) // 2].set_xlabel("Date (each bar runs from the start of date_start to the end of date_end)",
                                    fontsize=6.5, labelpad=3)
    fig.suptitle("Nagorno-Karabakh events by date", fontsize=9, fontweight="bold",
                 x=0.012, ha="left", y=1 - 0.1 / height, va="top")

    used = sorted({str(t) for t in dated["plover_event_type"].dropna()}, key=list(colours).index)
    if dated["plover_event_type"].isna().any():
        used.append("none")
    type_handles = [Patch(facecolor=colours[t], edgecolor=colours[t], label=t) for t in used]
    windows = sorted(set(dated["date_precision"].astype(str)) - {EXACT})
    statuses = sorted(set(dated["factuality"].astype(str)) - {"asserted"})
    style_handles = [
        Patch(facecolor="#555555", edgecolor="#555555", label="exact days (precision 'day')"),
        Line2D([], [], marker="D", ms=4.5, color="#555555", linestyle="none",
               label="single exact day, too short to see as a bar"),
        Patch(facecolor=(0.33, 0.33, 0.33, 0.35), edgecolor="#555555", hatch="////",
              label=f"window of uncertainty ({', '.join(windows)})"),
        Patch(facecolor="white", edgecolor="black", linestyle=(0, (2.5, 1.5)), lw=0.9,
              label=f"not asserted ({', '.join(statuses)}):\nstatus and claimant named beside the bar"),
    ]
    legend_y = 0.8 / height
    fig.legend(handles=type_handles, title="PLOVER event type", loc="center left", bbox_to_anchor=(0.005, legend_y),
               ncol=2, fontsize=6.5, title_fontsize=7, frameon=False, handlelength=1.5, columnspacing=1.0,
               alignment="left")
    fig.legend(handles=style_handles, title="Date precision and factuality", loc="center left",
               bbox_to_anchor=(0.36, legend_y), ncol=1, fontsize=6.5, title_fontsize=7, frameon=False,
               handlelength=2.0, alignment="left")
    note = f"{n} dated events, one per row, sorted by date_start; the x-axis is broken between periods."
    if len(undated):
        note += f" Not shown: {len(undated)} undated events (precision 'unknown'): {', '.join(undated['event_id'])}."
    _caption(fig, note, version)
    return fig


def _caption(fig: Figure, note: str, version: str) -> None:
    fig.text(0.012, 0.08 / fig.get_figheight(), f"{note}\nSource: karabakh-data v{version}", fontsize=6,
             color="#444444", ha="left", va="bottom", linespacing=1.4)


def _break_marks(axes: list[Axes]) -> None:
    """Hide the spines between panels and draw the diagonal marks of a broken axis."""
    size = 5  # points
    marker = [(-1, -1.6), (1, 1.6)]
    kw: dict[str, Any] = dict(marker=marker, markersize=size, linestyle="none", color="black", mec="black", mew=0.8,
                              clip_on=False, zorder=5)
    for i, ax in enumerate(axes):
        if i > 0:
            ax.spines["left"].set_visible(False)
            ax.plot([0, 0], [0, 1], transform=ax.transAxes, **kw)
        if i < len(axes) - 1:
            ax.spines["right"].set_visible(False)
            ax.plot([1, 1], [0, 1], transform=ax.transAxes, **kw)


def _network(events: pd.DataFrame, actors: pd.DataFrame, links: pd.DataFrame, roles: pd.DataFrame, version: str) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    links = links.sort_values(["event_id", "actor_id", "role"]).reset_index(drop=True)
    shown = events[events["event_id"].isin(links["event_id"])].sort_values("event_id").reset_index(drop=True)
    unlinked = events.loc[~events["event_id"].isin(links["event_id"]), "event_id"].sort_values()
    event_y = {e: float(i) for i, e in enumerate(shown["event_id"])}
    n_events = len(shown)

    # actors ordered by the mean position of their events (one barycentre pass), which keeps lines short
    linked_actors = actors[actors["actor_id"].isin(links["actor_id"])]
    centre = links.assign(y=links["event_id"].map(event_y)).groupby("actor_id", observed=True)["y"].mean()
    order = sorted(linked_actors["actor_id"], key=lambda a: (centre[a], a))
    step = (n_events - 1) / max(len(order) - 1, 1)
    actor_y = {a: i * step for i, a in enumerate(order)}
    info = linked_actors.set_index("actor_id")

    role_order = [r for r in roles["role"].astype(str) if r in set(links["role"].astype(str))]
    role_colour = {r: ROLE_PALETTE[i % len(ROLE_PALETTE)] for i, r in enumerate(role_order)}

    width = 7.2
    fig = Figure(figsize=(width, 1.75 + 0.26 * n_events))
    height = fig.get_figheight()
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.add_axes((0.0, 1.2 / height, 1.0, 1 - 1.65 / height))
    ax.set_xlim(0, width)  # x in inches, so label widths measured in inches place the columns
    ax.set_ylim(n_events - 0.5, -0.5)
    ax.axis("off")

    actor_labels = [
        (ax.text(0, y, str(info.at[a, "name"]), ha="right", va="center", fontsize=7),
         ax.text(0, y + 0.45, f"{a} · {info.at[a, 'actor_type']}", ha="right", va="center", fontsize=5.8,
                 color="#666666"))
        for a, y in actor_y.items()
    ]
    event_labels, event_markers = [], []
    for row in shown.itertuples():
        claimed = row.factuality != "asserted"
        tag = f"  [{row.factuality}]" if claimed else ""
        event_labels.append(ax.text(0, event_y[row.event_id], f"{row.event_id}  {_shorten(row.summary, 48)}{tag}",
                                    ha="left", va="center", fontsize=6.5))
        event_markers += ax.plot(0, event_y[row.event_id], marker="o", ms=5, mfc="white" if claimed else "#333333",
                                 mec="#333333", mew=1.0, zorder=3)

    def widest(texts: list[Text]) -> float:
        return max(t.get_window_extent(renderer).width for t in texts) / fig.dpi

    # the two columns sit just inside the widest labels, leaving the middle to the links
    x_actor = 0.12 + widest([t for pair in actor_labels for t in pair]) + 0.1
    x_event = width - 0.1 - widest(event_labels) - 0.1
    for name, detail in actor_labels:
        name.set_x(x_actor - 0.1)
        detail.set_x(x_actor - 0.1)
    for label in event_labels:
        label.set_x(x_event + 0.1)
    for marker in event_markers:
        marker.set_xdata([x_event])
    for a, y in actor_y.items():
        ax.plot(x_actor, y, marker="s", ms=5, color="#333333", zorder=3)

    # an actor holding several roles in one event gets parallel lines, offset so that each stays visible
    pair_roles = links.groupby(["event_id", "actor_id"], observed=True)["role"].apply(list)
    for (event_id, actor_id), pair in pair_roles.items():
        for k, role in enumerate(pair):
            offset = (k - (len(pair) - 1) / 2) * 0.18
            ax.plot([x_actor, x_event], [actor_y[actor_id] + offset, event_y[event_id] + offset],
                    color=role_colour[str(role)], lw=1.2, linestyle=ROLE_STYLE.get(str(role), "solid"),
                    solid_capstyle="butt", zorder=2)

    ax.text(x_actor, -0.6, "Actors", ha="center", va="bottom", fontsize=7.5, fontweight="bold")
    ax.text(x_event, -0.6, "Events", ha="center", va="bottom", fontsize=7.5, fontweight="bold")
    fig.suptitle("Who did what: actors linked to events, by role", fontsize=9, fontweight="bold",
                 x=0.012, ha="left", y=1 - 0.1 / height, va="top")

    role_handles = [Line2D([], [], color=role_colour[r], lw=1.4, linestyle=ROLE_STYLE.get(r, "solid"), label=r)
                    for r in role_order]
    node_handles = [
        Line2D([], [], marker="s", ms=5, color="#333333", linestyle="none", label="actor"),
        Line2D([], [], marker="o", ms=5, color="#333333", linestyle="none", label="event, asserted"),
        Line2D([], [], marker="o", ms=5, mfc="white", mec="#333333", linestyle="none",
               label="event, not asserted [factuality]"),
    ]
    legend_y = 0.7 / height
    fig.legend(handles=role_handles, title="Role of the actor in the event", loc="center left",
               bbox_to_anchor=(0.005, legend_y), ncol=4, fontsize=6.5, title_fontsize=7, frameon=False,
               handlelength=2.4, columnspacing=1.2, alignment="left")
    fig.legend(handles=node_handles, title="Nodes", loc="center left", bbox_to_anchor=(0.66, legend_y), ncol=1,
               fontsize=6.5, title_fontsize=7, frameon=False, handlelength=1.2, alignment="left")
    note = f"{len(links)} links between {len(order)} actors and {n_events} events."
    if len(unlinked):
        note += f" Not shown: {len(unlinked)} events with no coded actor ({', '.join(unlinked)})."
    _caption(fig, note, version)
    return fig
