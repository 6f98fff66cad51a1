"""What both figures share: the fixed style that makes their bytes reproducible, colours, captions."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..model.schemas import OWN_VOICE_STATUSES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


def save(fig: Figure, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI, metadata={"Software": None}, facecolor="white")


def figure_title(fig: Figure, text: str, height: float) -> None:
    """The figure's title, at its top left, a tenth of an inch from the top of a figure `height` inches tall."""
    fig.suptitle(text, fontsize=9, fontweight="bold", x=0.012, ha="left", y=1 - 0.1 / height, va="top")


def shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(str(text).split()), width=width, placeholder="…")


def plover_colours(events: pd.DataFrame) -> dict[str, str]:
    """PLOVER type -> colour, the most frequent type first, so the order is fixed by the data."""
    counts = Counter(str(t) for t in events["plover_event_type"].dropna())
    ordered = sorted(counts, key=lambda t: (-counts[t], t))
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(ordered)}
    colours["none"] = NONE_COLOUR
    return colours


def caption(fig: Figure, note: str, version: str) -> None:
    fig.text(
        0.012,
        0.08 / fig.get_figheight(),
        textwrap.fill(note, width=int(fig.get_figwidth() * 22)) + f"\nSource: karabakh-data v{version}",
        fontsize=6,
        color="#444444",
        ha="left",
        va="bottom",
        linespacing=1.4,
    )


def legend(fig: Figure, handles: list, title: str, left: float, y: float, **layout: object) -> None:
    """A legend below the plot, its left edge at `left` (figure fraction), in the figures' type sizes."""
    fig.legend(
        handles=handles,
        title=title,
        loc="center left",
        bbox_to_anchor=(left, y),
        fontsize=6.5,
        title_fontsize=7,
        frameon=False,
        alignment="left",
        **layout,
    )


def is_claimed(status: object) -> bool:
    """Whether an event is drawn as a claim: no source asserts it in its own voice."""
    return str(status) not in OWN_VOICE_STATUSES
