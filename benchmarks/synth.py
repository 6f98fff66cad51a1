"""Synthetic karabakh-data repositories of any size, for benchmarks and scale tests.

    python -m benchmarks.synth OUTDIR --events N --seed S [--inject-errors]

Writes a complete repository layout (seeds/, schemas/, data/csv/) in this project's own schemas, on
which `karabakh-data validate` and `build` run unchanged: generated source documents, events whose
quotes are real spans of them, actors, locations with enriched coordinates, agreements, link tables,
enrichments and the project's vocabularies. The same N and seed give the same bytes.
--inject-errors plants one known error per rule family and lists them in OUTDIR/injected_errors.json.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
ACTORS_PER_MILLION, LOCATIONS_PER_MILLION = 5_000, 25_000
MIN_ACTORS, MIN_LOCATIONS = 50, 100
EVENTS_PER_SOURCE_MAX = 4_000  # source ids have three digits: at most 1000 documents
AGREEMENTS = 10
SENTENCES = (
    "On {date} an incident numbered {number} was reported near Place {place}.",
    "On {date}, officials said, an incident numbered {number} took place near Place {place}.",
    'On {date} a spokesman described "incident {number}" near Place {place}, giving no details.',
    "On {date} officials in Xankəndi called it “incident {number}” near Place {place}.",
)


def _write(path: Path, header: list[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _read_vocab(name: str) -> list[dict]:
    with open(ROOT / "data" / "csv" / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def _schema(table: str) -> dict:
    return json.loads((ROOT / "schemas" / f"{table}.json").read_text())


def _columns(table: str) -> list[str]:
    return [f["name"] for f in _schema(table)["fields"]]


class Document:
    """A generated source document built sentence by sentence, remembering each sentence's span."""

    def __init__(self, title: str):
        self.parts = [title, "\n"]
        self.length = len(title) + 1

    def add(self, sentence: str) -> tuple[int, int]:
        start = self.length
        self.parts += [sentence, " "]
        self.length += len(sentence) + 1
        return start, start + len(sentence)

    def text(self) -> str:
        return "".join(self.parts).rstrip(" ") + "\n"


def _source_id(index: int, title: str) -> str:
    """A provisional id: _Builder.write names each seed after its hash once its text is complete."""
    return f"{index:03d}_{hashlib.sha256(title.encode()).hexdigest()[:16]}"


class _Builder:
    """The rows of every table of a synthetic package, and the documents their quotes come from."""

    def __init__(self, events: int, seed: int):
        self.rng = np.random.default_rng(seed)
        self.seed, self.events = seed, events
        self.n_actors = max(MIN_ACTORS, events * ACTORS_PER_MILLION // 1_000_000 * 2)
        self.n_locations = max(MIN_LOCATIONS, events * LOCATIONS_PER_MILLION // 1_000_000 * 2)
        self.n_sources = min(999, max(1, -(-events // EVENTS_PER_SOURCE_MAX)))
        self.sources: dict[int, tuple[str, Document]] = {}
        self.tables: dict[str, list[list]] = {name: [] for name in TABLES}
        self.register_id, self.register = self.document(0)  # the register (document 0) names every actor and place

    def document(self, index: int) -> tuple[str, Document]:
        if index not in self.sources:
            title = f"Synthetic report {index} of a karabakh-data benchmark (seed {self.seed})"
            self.sources[index] = (_source_id(index, title), Document(title))
        return self.sources[index]

    def enrich(self, table: str, record: str, field: str, value: str) -> None:
        enrichments = self.tables["enrichments"]
        enrichments.append(
            [
                f"enr-{len(enrichments) + 1:07d}",
                table,
                record,
                field,
                value,
                "external_source",
                "Synthetic coordinates.",
                "synthetic gazetteer",
                "high",
            ]
        )

    def actors_and_places(self) -> None:
        types = [r["actor_type"] for r in _read_vocab("vocab_actor_type") if r["actor_type"] != "unnamed_source"]
        for i in range(1, self.n_actors + 1):
            sentence = f"Actor {i} is a party."
            start, end = self.register.add(sentence)
            self.tables["actors"].append(
                [
                    f"act-{i:06d}",
                    f"Actor {i}",
                    types[i % len(types)],
                    "AZE" if i % 2 else "ARM",
                    "",
                    "",
                    self.register_id,
                    sentence,
                    start,
                    end,
                    "",
                ]
            )
        # coordinates spelled as the canonical CSV form spells numbers (Arrow's shortest round trip)
        lat = pc.cast(pa.array(np.round(self.rng.uniform(38.5, 41.5, self.n_locations), 4)), pa.string()).to_pylist()
        lon = pc.cast(pa.array(np.round(self.rng.uniform(44.5, 50.5, self.n_locations), 4)), pa.string()).to_pylist()
        for i in range(1, self.n_locations + 1):
            sentence, lid = f"Place {i} is a place.", f"loc-{i:06d}"
            start, end = self.register.add(sentence)
            self.tables["locations"].append(
                [
                    lid,
                    f"Place {i}",
                    "district",
                    "AZE",
                    "",
                    lat[i - 1],
                    lon[i - 1],
                    "exact",
                    "",
                    self.register_id,
                    sentence,
                    start,
                    end,
                    "",
                ]
            )
            self.enrich("locations", lid, "latitude", lat[i - 1])
            self.enrich("locations", lid, "longitude", lon[i - 1])

    def event_rows(self) -> None:
        rng, n = self.rng, self.events
        pairs = [
            (r["acled_event_type"], r["acled_sub_event_type"], r["acled_disorder_type"])
            for r in _read_vocab("vocab_acled_sub_event_type")
            if r["acled_disorder_type"]
        ]
        plover = [r["plover_event_type"] for r in _read_vocab("vocab_plover_event_type")]
        cameo = [r["cameo_code"] for r in _read_vocab("vocab_cameo_code")]
        dates = (np.datetime64("1994-01-01") + rng.integers(0, 365 * 30, n).astype("timedelta64[D]")).astype(str)
        place, actor = rng.integers(1, self.n_locations + 1, n), rng.integers(1, self.n_actors + 1, n)
        pair, plover_pick, cameo_pick = (
            rng.integers(0, len(pairs), n),
            rng.integers(0, len(plover), n),
            rng.integers(0, len(cameo), n),
        )
        best, spread = rng.integers(0, 50, n), rng.integers(0, 5, n)
        reported, alleged, linked = rng.random(n) < 0.95, rng.random(n) < 0.2, rng.random(n) < 0.3
        cited, part = rng.random(n) < 0.1, rng.random(n) < 0.02
        # news text has commas and quoted speech: about a third of the quotes need CSV quoting, and one in
        # ten holds double quotes, as the article's own quotes do; and more than one in seven holds letters
        # and punctuation outside ASCII (Azerbaijani place names, curly quotes). Files without them take
        # shortcuts that real data cannot.
        wording = rng.choice(4, size=n, p=[0.45, 0.3, 0.1, 0.15])
        for i in range(n):
            eid = f"evt-{i + 1:07d}"
            source_id, doc = self.document(1 + i * self.n_sources // n) if self.n_sources > 1 else self.document(1)
            sentence = SENTENCES[wording[i]].format(date=dates[i], number=i + 1, place=place[i])
            start, end = doc.add(sentence)
            etype, subtype, disorder = pairs[pair[i]]
            counts = (max(0, best[i] - spread[i]), best[i], best[i] + spread[i]) if reported[i] else ("", "", "")
            claimant = f"act-{actor[i]:06d}" if alleged[i] else ""
            self.tables["events"].append(
                [
                    eid,
                    f"Synthetic event {i + 1}.",
                    dates[i],
                    dates[i],
                    "day",
                    "stated",
                    f"loc-{place[i]:06d}",
                    disorder,
                    etype,
                    subtype,
                    plover[plover_pick[i]],
                    cameo[cameo_pick[i]],
                    "",
                    "",
                ]
            )
            fact = "alleged" if alleged[i] else "asserted"
            self.account(eid, source_id, fact, claimant, counts, sentence, start, end)
            if cited[i]:  # a second account, from a report that is cited, not shipped: an excerpt, no offsets
                self.account(eid, f"cit-{1 + i % CITED_SOURCES:04d}", "asserted", "", counts, sentence, "", "")
            if part[i] and i:  # a part of the event before it, which is then counted through its parts
                self.tables["event_relations"].append([eid, f"evt-{i:07d}", "part_of", ""])
            if alleged[i]:
                self.tables["event_actors"].append([eid, claimant, "claimant", source_id, sentence, start, end, ""])
            if linked[i]:
                self.tables["event_actors"].append(
                    [
                        eid,
                        f"act-{(actor[i] % self.n_actors) + 1:06d}",
                        "perpetrator",
                        source_id,
                        sentence,
                        start,
                        end,
                        "",
                    ]
                )

    def account(self, eid: str, source_id: str, fact: str, claimant: str, counts: tuple, quote: str, start, end):
        accounts = self.tables["event_accounts"]
        accounts.append(
            [f"acc-{len(accounts) + 1:07d}", eid, source_id, fact, claimant, *counts, quote, start, end, ""]
        )

    def agreements(self) -> None:
        for k in range(1, AGREEMENTS + 1):
            sentence = f"Agreement {k} was negotiated."
            start, end = self.register.add(sentence)
            self.tables["agreements"].append(
                [
                    f"agr-{k:04d}",
                    f"Agreement {k}",
                    "",
                    "ceasefire",
                    "under_negotiation",
                    "",
                    "",
                    "none",
                    "",
                    self.register_id,
                    sentence,
                    start,
                    end,
                    "",
                ]
            )
            self.tables["agreement_parties"].append(
                [f"agr-{k:04d}", f"act-{k:06d}", "negotiating_party", self.register_id, sentence, start, end, ""]
            )

    def write(self, out: Path) -> dict[str, str]:
        """The seeds, each named after its hash as a new seed must be, then the sources table from their
        bytes, then every table sorted by primary key (the rows' source ids renamed likewise)."""
        renamed = {}
        for old_id, doc in self.sources.values():
            raw = doc.text().encode("utf-8")
            digest = hashlib.sha256(raw).hexdigest()
            source_id = renamed[old_id] = f"{old_id[:3]}_{digest[:16]}"
            (out / "seeds" / f"{source_id}.txt").write_bytes(raw)
            self.tables["sources"].append(
                [
                    source_id,
                    "shipped",
                    f"seeds/{source_id}.txt",
                    doc.parts[0],
                    "en",
                    digest,
                    len(raw.decode("utf-8")),
                    "",
                    "",
                    "",
                    "",
                    "Synthetic text generated for benchmarks.",
                    "",
                ]
            )
        for k in range(1, CITED_SOURCES + 1):
            self.tables["sources"].append(
                [
                    f"cit-{k:04d}",
                    "cited",
                    "",
                    f"Synthetic cited report {k}",
                    "en",
                    "",
                    "",
                    f"Synthetic Wire {k}",
                    f"https://example.org/report/{k}",
                    "2023-09-20",
                    "2026-12-05",
                    "Synthetic report for benchmarks; not shipped.",
                    "",
                ]
            )
        for table, rows in self.tables.items():
            if table != "sources" and "source_id" in _columns(table):
                at = _columns(table).index("source_id")
                for row in rows:
                    row[at] = renamed.get(row[at], row[at])  # a cited source keeps its id
            width = len(_schema(table)["primaryKey"])
            rows.sort(key=lambda r, width=width: tuple(r[:width]))
            _write(out / "data" / "csv" / f"{table}.csv", _columns(table), rows)
        return renamed


TABLES = (
    "sources",
    "events",
    "event_accounts",
    "actors",
    "locations",
    "agreements",
    "event_actors",
    "agreement_parties",
    "event_relations",
    "enrichments",
)
CITED_SOURCES = 9


def generate(out: Path, events: int, seed: int, inject_errors: bool = False) -> dict:
    if out.exists():
        shutil.rmtree(out)
    (out / "data" / "csv").mkdir(parents=True)
    (out / "seeds").mkdir()
    shutil.copytree(ROOT / "schemas", out / "schemas")
    for vocab in (ROOT / "data" / "csv").glob("vocab_*.csv"):
        shutil.copy2(vocab, out / "data" / "csv" / vocab.name)
    shutil.copy2(ROOT / "data" / "csv" / "retired_ids.csv", out / "data" / "csv" / "retired_ids.csv")
    builder = _Builder(events, seed)
    builder.actors_and_places()
    builder.event_rows()
    builder.agreements()
    tables = builder.tables
    injected = _inject(tables) if inject_errors else []
    renamed = builder.write(out)
    for item in injected:  # a planted record may name a source, renamed after its seed's hash
        item["record"] = "/".join(renamed.get(part, part) for part in item["record"].split("/"))
    manifest = {
        "events": events,
        "seed": seed,
        "actors": builder.n_actors,
        "locations": builder.n_locations,
        "sources": len(builder.sources),
        "event_accounts": len(tables["event_accounts"]),
        "event_actors": len(tables["event_actors"]),
        "event_relations": len(tables["event_relations"]),
        "enrichments": len(tables["enrichments"]),
        "injected_errors": injected,
    }
    (out / "synth.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if inject_errors:
        (out / "injected_errors.json").write_text(json.dumps(injected, indent=2) + "\n")
    return manifest


def _inject(tables: dict[str, list[list]]) -> list[dict]:
    """One known error per rule family, at fixed rows; returns what validate must report."""
    events, accounts, actors = tables["events"], tables["event_accounts"], tables["actors"]
    locations, enrichments, links = tables["locations"], tables["enrichments"], tables["event_actors"]
    col = {name: i for i, name in enumerate(_columns("events"))}
    acc = {name: i for i, name in enumerate(_columns("event_accounts"))}
    out = []

    def planted(rule, table, record, field):
        out.append({"rule": rule, "file": f"data/csv/{table}.csv", "record": record, "field": field})

    e = events[1]
    e[col["date_start"]] = e[col["date_end"]] = "2021-02-30"
    planted("type", "events", e[0], "date_start")
    e = events[2]
    e[col["location_id"]] = "loc-999999"
    planted("foreign-key", "events", e[0], "location_id")
    a = next(a for a in accounts[3:] if a[acc["char_start"]] != "")  # an account of a shipped text
    a[acc["factuality"]] = "certain"
    planted("foreign-key", "event_accounts", a[0], "factuality")
    e = events[4]
    e[col["acled_sub_event_type"]] = (
        "Attack" if e[col["acled_event_type"]] != "Violence against civilians" else "Armed clash"
    )
    planted("foreign-key", "events", e[0], "acled_event_type,acled_sub_event_type")
    a = next(a for a in accounts[5:] if a[acc["char_start"]] != "" and a is not accounts[3])
    a[acc["char_start"]] += 1
    a[acc["char_end"]] += 1
    planted("span", "event_accounts", a[0], "char_start")
    a = accounts[6]
    a[acc["fatalities_low"]], a[acc["fatalities_best"]], a[acc["fatalities_high"]] = 9, 3, 9
    planted("fatalities-order", "event_accounts", a[0], "fatalities_low")
    e = events[7]
    e[col["summary"]] = '=HYPERLINK("http://example.org")'
    planted("formula", "events", e[0], "summary")
    a = accounts[8]
    a[acc["fatalities_best"]] = -1
    a[acc["fatalities_low"]] = -1
    planted("minimum", "event_accounts", a[0], "fatalities_best")
    events[10][0] = events[9][0]
    planted("primary-key", "events", events[9][0], "event_id")
    e = events[11]
    e[col["date_origin"]] = "coder_inferred"
    planted("date-inferred-note", "events", e[0], "coder_note")
    actors[1][3] = "AZ"
    planted("pattern", "actors", actors[1][0], "country_code")
    loc = locations[1]
    loc[5] = "123.4"
    enrichments[2][4] = "123.4"
    planted("maximum", "locations", loc[0], "latitude")
    dropped = enrichments.pop(5)
    planted("enrichment-missing", "locations", dropped[2], dropped[3])
    source = next(a for a in accounts if a[1] == events[12][0])
    quote, start, end = source[acc["quote"]], source[acc["char_start"]], source[acc["char_end"]]
    links.append([events[12][0], "act-999999", "perpetrator", source[2], quote, start, end, ""])
    planted("foreign-key", "event_actors", f"{events[12][0]}/act-999999/perpetrator/{source[2]}", "actor_id")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synth", description=__doc__.split("\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--inject-errors", action="store_true")
    args = parser.parse_args(argv)
    manifest = generate(args.outdir, args.events, args.seed, args.inject_errors)
    print(json.dumps({k: v for k, v in manifest.items() if k != "injected_errors"}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
