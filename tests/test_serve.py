"""`karabakh-data serve`, end to end (slow tier): Datasette on 127.0.0.1 on a free port, its pages
and JSON queries checked against datapackage.json, and a headless Chromium screenshot of the events
table checked. Every server started here is stopped by its process id."""

from __future__ import annotations

import html
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from karabakh_data.model.dictionary import package_from_descriptor
from karabakh_data.publish.browse import DATABASE, datasette_metadata

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1280, 900)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


@pytest.fixture(scope="module")
def published(real_repo):
    desc = json.loads(real_repo.descriptor_path.read_text())
    return desc, package_from_descriptor(desc, "datapackage.json")


@pytest.fixture(scope="module")
def server(real_repo, tmp_path_factory):
    """The base URL of a running `karabakh-data serve`; stopped by its process id afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "karabakh_data.cli", "--root", str(real_repo.root), "serve", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"serve exited with {process.returncode}:\n{log.read_text()}"
            try:
                fetch(f"{base}/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"serve did not answer within 60 s:\n{log.read_text()}"
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode is not None


def test_the_metadata_is_the_one_generated_from_the_schemas(server, published):
    desc, package = published
    assert json.loads(fetch(f"{server}/-/metadata.json")) == datasette_metadata(desc, package)


def test_every_table_page_shows_its_descriptions(server, published):
    desc, package = published
    home = html.unescape(fetch(server))
    assert desc["title"] in home and desc["licenses"][0]["name"] in home
    for table in package.tables.values():
        page = html.unescape(fetch(f"{server}/{DATABASE}/{table.name}"))
        assert table.description in page, table.name
        for f in table.fields:
            assert f.description in page, (table.name, f.name)


def test_a_json_query_counts_the_rows_of_every_table(server, published):
    desc, _ = published
    for resource in desc["resources"]:
        query = urllib.parse.urlencode({"sql": f'select count(*) as n from "{resource["name"]}"', "_shape": "array"})
        assert json.loads(fetch(f"{server}/{DATABASE}.json?{query}")) == [{"n": resource["x-rows"]}]


def test_references_show_their_labels_and_controlled_values_their_facets(server, published):
    desc, package = published
    metadata = datasette_metadata(desc, package)["databases"][DATABASE]["tables"]
    labelled = 0
    for table in package.tables.values():
        data = json.loads(fetch(f"{server}/{DATABASE}/{table.name}.json?_labels=on&_shape=objects&_size=max"))
        assert sorted(data["facet_results"]) == sorted(metadata[table.name]["facets"]), table.name
        for fk in table.foreign_keys:
            label = metadata[fk.resource].get("label_column")
            if label is None or len(fk.fields) > 1:
                continue
            targets = {
                row[fk.reference_fields[0]]: row[label]
                for row in json.loads(fetch(f"{server}/{DATABASE}/{fk.resource}.json?_shape=array&_size=max"))
            }
            for row in data["rows"]:
                cell = row[fk.fields[0]]
                if cell is not None:
                    assert cell == {"value": cell["value"], "label": targets[cell["value"]]}, (table.name, fk.fields)
                    labelled += 1
    assert labelled, "some reference shows a label"


def test_located_rows_get_a_map(server, published):
    _, package = published
    plugins = {p["name"] for p in json.loads(fetch(f"{server}/-/plugins.json"))}
    assert "datasette-cluster-map" in plugins
    located = [t.name for t in package.tables.values() if {"latitude", "longitude"} <= set(t.field_names)]
    assert located
    for name in located:
        assert "datasette-cluster-map" in fetch(f"{server}/{DATABASE}/{name}"), name


def test_a_browser_shows_the_described_events_table(server, published, tmp_path):
    from PIL import Image, ImageStat

    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    if browser is None:
        pytest.fail("the browser test needs Chromium: apt-get install chromium (.ci/run installs it)")
    _, package = published
    url = f"{server}/{DATABASE}/events"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    flags += [f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={WINDOW[0]},{WINDOW[1]}"]
    shot = tmp_path / "events.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    rendered = html.unescape(dom)
    assert all(f.description in rendered for f in package["events"].fields), "the browser got the described page"
    image = Image.open(shot)
    assert image.format == "PNG" and image.size == WINDOW
    grey = image.convert("L")
    assert ImageStat.Stat(grey).stddev[0] > 20, "the screenshot is not blank"
    dark = sum(grey.histogram()[:128]) / (WINDOW[0] * WINDOW[1])
    assert 0.01 < dark < 0.5, "text on a light page, as Datasette draws it"
