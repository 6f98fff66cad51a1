"""The actor-event network: who did what, claimed what, or was informed of what."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

from .style import ROLE_PALETTE, ROLE_STYLE, caption, figure_title, is_claimed, legend, shorten


def network(
    events: pd.DataFrame, actors: pd.DataFrame, links: pd.DataFrame, roles: pd.DataFrame, version: str
) -> Figure:
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
        (
            ax.text(0, y, str(info.at[a, "name"]), ha="right", va="center", fontsize=7),
            ax.text(
                0, y + 0.45, f"{a} · {info.at[a, 'actor_type']}", ha="right", va="center", fontsize=5.8, color="#666666"
            ),
        )
        for a, y in actor_y.items()
    ]
    event_labels, event_markers = [], []
    for row in shown.itertuples():
        claimed = is_claimed(row.status)
        tag = f"  [{str(row.status).replace('_', ' ')}]" if claimed else ""
        event_labels.append(
            ax.text(
                0,
                event_y[row.event_id],
                f"{row.event_id}  {shorten(row.summary, 48)}{tag}",
                ha="left",
                va="center",
                fontsize=6.5,
            )
        )
        event_markers += ax.plot(
            0,
            event_y[row.event_id],
            marker="o",
            ms=5,
            mfc="white" if claimed else "#333333",
            mec="#333333",
            mew=1.0,
            zorder=3,
        )

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
    for y in actor_y.values():
        ax.plot(x_actor, y, marker="s", ms=5, color="#333333", zorder=3)

    # an actor holding several roles in one event gets parallel lines, offset so that each stays visible
    pair_roles = links.groupby(["event_id", "actor_id"], observed=True)["role"].apply(list)
    for (event_id, actor_id), pair in pair_roles.items():
        for k, role in enumerate(pair):
            offset = (k - (len(pair) - 1) / 2) * 0.18
            ax.plot(
                [x_actor, x_event],
                [actor_y[actor_id] + offset, event_y[event_id] + offset],
                color=role_colour[str(role)],
                lw=1.2,
                linestyle=ROLE_STYLE.get(str(role), "solid"),
                solid_capstyle="butt",
                zorder=2,
            )

    ax.text(x_actor, -0.6, "Actors", ha="center", va="bottom", fontsize=7.5, fontweight="bold")
    ax.text(x_event, -0.6, "Events", ha="center", va="bottom", fontsize=7.5, fontweight="bold")
    figure_title(fig, "Who did what: actors linked to events, by role", height)

    role_handles = [
        Line2D([], [], color=role_colour[r], lw=1.4, linestyle=ROLE_STYLE.get(r, "solid"), label=r) for r in role_order
    ]
    node_handles = [
        Line2D([], [], marker="s", ms=5, color="#333333", linestyle="none", label="actor"),
        Line2D([], [], marker="o", ms=5, color="#333333", linestyle="none", label="event, asserted"),
        Line2D(
            [],
            [],
            marker="o",
            ms=5,
            mfc="white",
            mec="#333333",
            linestyle="none",
            label="event no source asserts [status]",
        ),
    ]
    legend_y = 0.7 / height
    legend(
        fig,
        role_handles,
        "Role of the actor in the event",
        0.005,
        legend_y,
        ncol=4,
        handlelength=2.4,
        columnspacing=1.2,
    )
    legend(fig, node_handles, "Nodes", 0.66, legend_y, ncol=1, handlelength=1.2)
    note = f"{len(links)} links between {len(order)} actors and {n_events} events."
    if len(unlinked):
        note += f" Not shown: {len(unlinked)} events with no coded actor ({', '.join(unlinked)})."
    caption(fig, note, version)
    return fig
