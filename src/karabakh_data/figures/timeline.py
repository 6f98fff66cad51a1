"""The timeline: one row per dated event, in panels of the periods that hold events."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from .style import EXACT, ONE_DAY, PERIOD_GAP, caption, figure_title, is_claimed, legend, plover_colours, shorten

ZOOM_DAYS = pd.Timedelta(days=7)
ZOOM_EVENTS = 5


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


def _zoom(dated: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The ZOOM_DAYS window that starts the most short events (a week or less), when it holds at least
    ZOOM_EVENTS of them: the days a long axis squeezes into a few pixels. None when no window does."""
    short = dated[(dated["date_end"] - dated["date_start"]) < pd.Timedelta(days=7)]
    best, start = 0, None
    for day in sorted(short["date_start"].unique()):
        held = short[(short["date_start"] >= day) & (short["date_start"] < day + ZOOM_DAYS)]
        if len(held) > best:
            best, start = len(held), day
    if best < ZOOM_EVENTS:
        return None
    held = short[(short["date_start"] >= start) & (short["date_start"] < start + ZOOM_DAYS)]
    return pd.Timestamp(start), held["date_end"].max() + ONE_DAY


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
        minor, fmt = pd.date_range(start, end, freq="D"), "%-d" if days <= 14 else "%-d %b"
        candidates = list(minor) if days <= 14 else [d for d in minor if d.day in (1, 8, 15, 22)]
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


def _draw_event(ax: Axes, row: Any, colours: dict, day_in: float) -> tuple | None:
    """One event's bar on the timeline (a diamond where a single day is too narrow to see), and for a
    claim its label: (label, x, y) to place once every panel is drawn."""
    import matplotlib.dates as mdates

    plover = str(row.plover_event_type) if pd.notna(row.plover_event_type) else "none"
    colour = colours[plover]
    exact = row.date_precision == EXACT
    claimed = is_claimed(row.status)
    x0 = mdates.date2num(row.date_start)
    span = mdates.date2num(row.date_end + ONE_DAY) - x0
    ax.barh(row.Index, span, left=x0, height=0.64, color=colour, alpha=1.0 if exact else 0.35, lw=0, zorder=2)
    ax.barh(
        row.Index,
        span,
        left=x0,
        height=0.64,
        fill=False,
        hatch=None if exact else "////",
        edgecolor="black" if claimed else colour,
        lw=0.9 if claimed else 0.6,
        linestyle=(0, (2.5, 1.5)) if claimed else "solid",
        zorder=3,
    )
    if exact and span * day_in < 0.04:  # a single day in a long period is too narrow to see as a bar
        ax.plot(
            x0 + span / 2,
            row.Index,
            marker="D",
            ms=4.5,
            color=colour,
            mec="black" if claimed else colour,
            mew=0.6,
            zorder=4,
        )
    if not claimed:
        return None
    by = f" by\n{row.claimants}" if pd.notna(row.claimants) else ""
    text = ax.annotate(
        f"{str(row.status).replace('_', ' ')}{by}",
        (x0 + span, row.Index),
        xytext=(3, 0),
        textcoords="offset points",
        va="center",
        ha="left",
        fontsize=5.8,
        linespacing=1.0,
        fontstyle="italic",
        color="#333333",
        zorder=4,
        annotation_clip=False,
    )
    return text, x0, row.Index


def _draw_panel(
    ax: Axes, period: tuple, width: float, dated: pd.DataFrame, colours: dict, zoom: tuple | None, is_zoom: bool
) -> list[tuple]:
    """One period's panel of the timeline; the claims' labels it holds, as (axes, label, x, y). Events that
    start in the zoom's days are labelled in the zoom panel only, whose right half is kept for the labels."""
    start, end = period
    panel_in = ax.get_position().width * width
    # the zoom's days take its left half (its ticks are spaced for that), its right half is for the labels
    ax.set_title(
        _period_axis(ax, start, end, panel_in / 2 if is_zoom else panel_in), fontsize=7.5, fontweight="bold", pad=4
    )
    x_min, x_max = ax.get_xlim()
    if is_zoom:
        x_max += x_max - x_min
        ax.set_xlim(x_min, x_max)
    unlabelled = zoom if zoom and not is_zoom else None
    day_in = panel_in / (x_max - x_min)
    for y in range(0, len(dated), 2):
        ax.axhspan(y - 0.5, y + 0.5, color="#F0F0F0", lw=0, zorder=0)
    ax.tick_params(axis="x", labelsize=6.5, length=3, pad=2)
    ax.tick_params(axis="x", which="minor", length=1.5)
    tags = []
    for row in dated.itertuples():
        if start <= row.date_start < end:
            tag = _draw_event(ax, row, colours, day_in)
            if tag is not None and unlabelled and unlabelled[0] <= row.date_start < unlabelled[1]:
                tag[0].remove()
            elif tag is not None:
                tags.append((ax, *tag))
    return tags


def _place_labels(tags: list[tuple], zoom_ax: Axes | None, renderer: Any) -> None:
    """A claim's label goes right of its bar, or left of it when it would leave the panel on the right; in
    the zoom it is wrapped, and set against the panel's right edge, where it cannot reach the panel before it."""
    for ax, text, x0, y in tags:
        if ax is zoom_ax:
            text.set_text(textwrap.fill(text.get_text().replace("\n", " "), 27))
        if text.get_window_extent(renderer).x1 <= ax.get_window_extent(renderer).x1:
            continue
        text.xy = (ax.get_xlim()[1], y) if ax is zoom_ax else (x0, y)
        text.set_position((-2 if ax is zoom_ax else -3, 0))
        text.set_horizontalalignment("right")


def timeline(events: pd.DataFrame, version: str) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    dated = (
        events[events["date_start"].notna()].sort_values(["date_start", "date_end", "event_id"]).reset_index(drop=True)
    )
    if dated.empty:
        raise ValueError("no dated events to draw a timeline of")
    undated = events[events["date_start"].isna()].sort_values("event_id")
    colours = plover_colours(events)
    periods = _periods(dated)
    zoom = _zoom(dated)
    if zoom is not None and zoom not in periods:  # the last panel repeats the busiest days at a readable scale
        periods.append(zoom)
    else:
        zoom = None
    counts = [int(((dated["date_start"] >= s) & (dated["date_start"] < e)).sum()) for s, e in periods]
    n = len(dated)

    width = 7.2
    fig = Figure(figsize=(width, 2.25 + 0.235 * n))
    height = fig.get_figheight()
    renderer = FigureCanvasAgg(fig).get_renderer()
    # a panel's width grows with the number of events it holds, so the crowded period gets the room
    grid = fig.add_gridspec(
        1,
        len(periods),
        # the zoom as wide as the widest period: its days, and the claims' labels, need the room
        width_ratios=[1.25 + 0.15 * c for c in counts[: len(counts) - bool(zoom)]]
        + ([1.25 + 0.15 * max(counts)] if zoom else []),
        wspace=0.05,
        left=0.4,
        right=0.985,
        top=1 - 0.55 / height,
        bottom=1.77 / height,
    )
    axes = [fig.add_subplot(grid[0, 0])]
    axes += [fig.add_subplot(grid[0, i], sharey=axes[0]) for i in range(1, len(periods))]
    axes[0].set_ylim(n - 0.5, -0.5)  # earliest event at the top
    axes[0].set_yticks(range(n))
    axes[0].set_yticklabels([f"{r.event_id}  {shorten(r.summary, 50)}" for r in dated.itertuples()], fontsize=6.5)
    axes[0].tick_params(axis="y", length=0, pad=3)
    for ax in axes[1:]:
        ax.tick_params(axis="y", length=0, labelleft=False)
    # the panels start where the longest row label ends
    label_px = max(t.get_window_extent(renderer).width for t in axes[0].get_yticklabels())
    grid.update(left=(label_px / fig.dpi + 0.12) / width)

    tags = [
        tag
        for i, (ax, period) in enumerate(zip(axes, periods))
        for tag in _draw_panel(ax, period, width, dated, colours, zoom, bool(zoom) and i == len(periods) - 1)
    ]

    _place_labels(tags, axes[-1] if zoom else None, renderer)
    _break_marks(axes[:-1] if zoom else axes)
    if zoom:
        axes[-1].set_title("Zoom: " + axes[-1].get_title(), fontsize=7.5, fontweight="bold", pad=4)
    axes[len(axes) // 2].set_xlabel(
        "Date (each bar runs from the start of date_start to the end of date_end)", fontsize=6.5, labelpad=3
    )
    figure_title(fig, "Nagorno-Karabakh events by date", height)

    used = sorted({str(t) for t in dated["plover_event_type"].dropna()}, key=list(colours).index)
    if dated["plover_event_type"].isna().any():
        used.append("none")
    type_handles = [Patch(facecolor=colours[t], edgecolor=colours[t], label=t) for t in used]
    windows = sorted(set(dated["date_precision"].astype(str)) - {EXACT})
    statuses = sorted(s.replace("_", " ") for s in set(dated["status"].astype(str)) if is_claimed(s))
    style_handles = [
        Patch(facecolor="#555555", edgecolor="#555555", label="exact days (precision 'day')"),
        Line2D(
            [],
            [],
            marker="D",
            ms=4.5,
            color="#555555",
            linestyle="none",
            label="single exact day, too short to see as a bar",
        ),
        Patch(
            facecolor=(0.33, 0.33, 0.33, 0.35),
            edgecolor="#555555",
            hatch="////",
            label=f"window of uncertainty ({', '.join(windows)})",
        ),
        Patch(
            facecolor="white",
            edgecolor="black",
            linestyle=(0, (2.5, 1.5)),
            lw=0.9,
            label=f"no source asserts it ({', '.join(statuses)}):\nstatus and claimants named beside the bar",
        ),
    ]
    legend_y = 0.95 / height
    legend(fig, type_handles, "PLOVER event type", 0.005, legend_y, ncol=2, handlelength=1.5, columnspacing=1.0)
    legend(fig, style_handles, "Date precision and status", 0.36, legend_y, ncol=1, handlelength=2.0)
    note = f"{n} dated events, one per row, sorted by date_start; the x-axis is broken between periods."
    if len(undated):
        note += f" Not shown: {len(undated)} undated events (precision 'unknown'): {', '.join(undated['event_id'])}."
    caption(fig, note, version)
    return fig


def _break_marks(axes: list[Axes]) -> None:
    """Hide the spines between panels and draw the diagonal marks of a broken axis."""
    size = 5  # points
    marker = [(-1, -1.6), (1, 1.6)]
    kw: dict[str, Any] = dict(
        marker=marker, markersize=size, linestyle="none", color="black", mec="black", mew=0.8, clip_on=False, zorder=5
    )
    for i, ax in enumerate(axes):
        if i > 0:
            ax.spines["left"].set_visible(False)
            ax.plot([0, 0], [0, 1], transform=ax.transAxes, **kw)
        if i < len(axes) - 1:
            ax.spines["right"].set_visible(False)
            ax.plot([1, 1], [0, 1], transform=ax.transAxes, **kw)
