"""Provenance, checked independently of the package's own validator: straight from the CSV files
and the seed bytes with the standard library."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from conftest import ROOT

SCHEMAS = {p.stem: json.loads(p.read_text()) for p in (ROOT / "schemas").glob("*.json") if not p.name.startswith("_")}


def rows(table):
    with open(ROOT / "data" / "csv" / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def seed_text(source_id):
    return (ROOT / "seeds" / f"{source_id}.txt").read_bytes().decode("utf-8")


EVIDENCE_TABLES = sorted(t for t, s in SCHEMAS.items() if any(f["name"] == "quote" for f in s["fields"]))


SHIPPED = {r["source_id"] for r in rows("sources") if r["source_kind"] == "shipped"}


def test_the_seed_is_a_byte_for_byte_copy():
    shared = ROOT.parent / "shared" / "seeds"
    for source in (r for r in rows("sources") if r["source_id"] in SHIPPED):
        raw = (ROOT / source["path"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == source["text_sha256"]
        if (shared / f"{source['source_id']}.txt").exists():  # present in the development workspace
            assert raw == (shared / f"{source['source_id']}.txt").read_bytes()


@pytest.mark.parametrize("table", EVIDENCE_TABLES)
def test_every_row_quotes_its_source_exactly(table):
    data = rows(table)
    assert data, f"{table} has rows"
    for row in data:
        if row["source_id"] in SHIPPED:
            text = seed_text(row["source_id"])
            assert text[int(row["char_start"]) : int(row["char_end"])] == row["quote"], row
        else:  # a cited source: a one-line excerpt, no offsets
            assert row["char_start"] == row["char_end"] == "" and "\n" not in row["quote"], row


def test_every_cited_source_says_where_and_when_it_was_read():
    for source in rows("sources"):
        if source["source_id"] not in SHIPPED:
            assert source["url"].startswith("https://") and source["publisher"] and source["retrieved_date"], source
            assert source["published_date"] or source["provenance_note"], source


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_foreign_key_resolves(table):
    for fk in SCHEMAS[table].get("foreignKeys", []):
        parent = {tuple(r[f] for f in fk["reference"]["fields"]) for r in rows(fk["reference"]["resource"])}
        for row in rows(table):
            key = tuple(row[f] for f in fk["fields"])
            if all(key):
                assert key in parent, (table, fk["fields"], key)
            else:
                assert not any(key), (table, fk["fields"], key)


def test_every_claim_names_its_claimant():
    needs = {r["factuality"]: r["requires_claimant"] == "true" for r in rows("vocab_factuality")}
    claimants = {
        (r["event_id"], r["actor_id"], r["source_id"]) for r in rows("event_actors") if r["role"] == "claimant"
    }
    for account in rows("event_accounts"):
        assert bool(account["claimed_by_actor_id"]) == needs[account["factuality"]], account["account_id"]
        if account["claimed_by_actor_id"]:
            assert (account["event_id"], account["claimed_by_actor_id"], account["source_id"]) in claimants


def test_every_event_has_an_account():
    accounted = {r["event_id"] for r in rows("event_accounts")}
    assert all(event["event_id"] in accounted for event in rows("events"))


def test_every_external_value_has_a_basis():
    backed = {(r["table_name"], r["record_id"], r["field_name"]): r for r in rows("enrichments")}
    for table, schema in SCHEMAS.items():
        for f in schema["fields"]:
            if "x-enrichment" not in f:
                continue
            key = schema["primaryKey"][0]
            for row in rows(table):
                enriched = f["x-enrichment"] == "always" or row.get("date_origin") == "enriched"
                if row[f["name"]] and enriched:
                    basis = backed[(table, row[key], f["name"])]
                    assert basis["basis"] and (basis["reference"] or basis["basis_type"] != "external_source")
