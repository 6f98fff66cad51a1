"""The figures: both PNG files are written, are real images of a sensible size, come out
byte-identical from run to run, and the committed copies under docs/figures/ are fresh."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the figures need matplotlib")

from matplotlib.image import imread  # noqa: E402

from karabakh_data.figures import make_figures  # noqa: E402

NAMES = ["network.png", "timeline.png"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def figures(real_repo, tmp_path_factory) -> list[Path]:
    return make_figures(real_repo.root, tmp_path_factory.mktemp("figures"))


def test_make_figures_writes_both_files_into_the_folder(real_repo, tmp_path):
    out = tmp_path / "new" / "figures"
    paths = make_figures(real_repo.root, out)
    assert paths == sorted(paths)
    assert [p.name for p in paths] == NAMES
    assert all(p.parent == out and p.is_file() for p in paths)
    assert sorted(p.name for p in out.iterdir()) == NAMES, "nothing else is written"


@pytest.mark.parametrize("name", NAMES)
def test_each_figure_is_a_png_of_a_sensible_size(figures, name):
    path = next(p for p in figures if p.name == name)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert 20_000 < path.stat().st_size < 5_000_000
    image = imread(path)
    height, width, channels = image.shape
    assert channels in (3, 4)
    # 7.2 in at 200 dpi: the width of a page of text, at print resolution
    assert width == 1440
    assert 800 <= height <= 3000
    assert image[..., :3].std() > 0.05, "the image is not blank"


def test_two_runs_give_the_same_bytes(figures, real_repo, tmp_path):
    again = make_figures(real_repo.root, tmp_path)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in figures]


def test_a_user_matplotlibrc_does_not_change_the_bytes(figures, real_repo, tmp_path):
    """The figures use Matplotlib's defaults, not whatever style the user has configured."""
    config = tmp_path / "mplconfig"
    config.mkdir()
    (config / "matplotlibrc").write_text(
        "font.family: serif\nfont.size: 20\naxes.facecolor: red\nsavefig.dpi: 50\nlines.linewidth: 5\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = f"from karabakh_data.figures import make_figures; make_figures({str(real_repo.root)!r}, {str(out)!r})"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "MPLCONFIGDIR": str(config)}, check=True)
    assert [(out / p.name).read_bytes() for p in figures] == [p.read_bytes() for p in figures]


def test_committed_figures_equal_a_fresh_run(figures, real_repo):
    """Freshness: docs/figures/ holds exactly what make_figures writes from the committed data."""
    committed = real_repo.root / "docs" / "figures"
    for path in figures:
        assert (committed / path.name).is_file(), f"docs/figures/{path.name} is missing"
        assert (committed / path.name).read_bytes() == path.read_bytes(), (
            f"docs/figures/{path.name} is stale: regenerate it with make_figures(root, 'docs/figures')"
        )


def test_importing_the_package_does_not_import_matplotlib():
    code = "import sys, karabakh_data; karabakh_data.load('events'); print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_timeline_zooms_on_the_busiest_week():
    import pandas as pd

    from karabakh_data.figures.timeline import ZOOM_EVENTS, _zoom

    day = pd.Timestamp("2023-09-19")
    spread = [pd.Timestamp("1992-01-01") + pd.Timedelta(days=400 * k) for k in range(4)]
    busy = [day + pd.Timedelta(days=k % 3) for k in range(ZOOM_EVENTS)]
    dated = pd.DataFrame({"date_start": spread + busy, "date_end": spread + busy})
    assert _zoom(dated) == (day, day + pd.Timedelta(days=3))
    assert _zoom(dated.iloc[: len(spread) + ZOOM_EVENTS - 1]) is None  # too few events in any week
