"""The command line: acts on the repository it is run in (or --root), reports in three formats,
keeps canonical form."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, get_cell, read_rows, run_cli, set_cell, write_rows
from karabakh_data import cli
from karabakh_data.model.schemas import load_package


def test_validate_passes_on_the_repository(real_repo):
    proc = run_cli("validate", cwd=real_repo.root / "data" / "csv")  # found from a subfolder
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"valid: {len(load_package(ROOT / 'schemas').coded)} tables")


def test_commands_act_on_root(scratch, tmp_path):
    set_cell(scratch, "event_accounts", "acc-0002", "fatalities_high", "5")
    proc = run_cli("--root", str(scratch.root), "validate", cwd=tmp_path)
    assert proc.returncode == 1 and "fatalities-order" in proc.stdout
    proc = run_cli("validate", cwd=scratch.root)
    assert proc.returncode == 1 and "fatalities-order" in proc.stdout


def in_process(monkeypatch, capsys, *args: str, cwd=None) -> tuple[int, str, str]:
    """The command run in this process (a subprocess costs half a second): exit code, stdout, stderr."""
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")  # keeps the tests' memory pool as it is
    if cwd is not None:
        monkeypatch.chdir(cwd)
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_outside_a_repository_writing_is_a_clear_usage_error(tmp_path, monkeypatch, capsys):
    for command in ("build", "export", "fmt", "release", "figures"):
        code, _, err = in_process(monkeypatch, capsys, command, cwd=tmp_path)
        assert code == 2 and "no karabakh-data repository" in err, command
    code, _, err = in_process(monkeypatch, capsys, "--root", str(tmp_path), "validate")
    assert code == 2 and "is not a karabakh-data repository" in err


def test_outside_a_repository_reading_uses_the_installed_data(real_repo, tmp_path):
    """From an editable install the installed data is the checkout's (from a wheel, the copy inside it:
    test_load.test_load_works_from_an_installed_wheel)."""
    for command in ("validate", "describe"):
        proc = run_cli(command, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"{command} reads the installed data: {real_repo.root}" in proc.stderr


def test_describe_a_table_lists_its_columns(real_repo, monkeypatch, capsys):
    package = load_package(real_repo.schemas_dir)
    for table in package.tables.values():
        code, out, _ = in_process(monkeypatch, capsys, "--root", str(real_repo.root), "describe", table.name)
        assert code == 0
        lines = out.splitlines()
        assert lines[0].startswith(f"{table.name} ({table.group}, ") and table.description in lines[0]
        assert [line.split()[0] for line in lines[1:]] == table.field_names
        assert all(f.description in line for f, line in zip(table.fields, lines[1:]))
    name = next(iter(package.tables))
    code, out, err = in_process(monkeypatch, capsys, "--root", str(real_repo.root), "describe", name + "s")
    assert code == 2 and f"did you mean {name!r}" in err and not out


def test_json_report_shape(scratch):
    set_cell(scratch, "event_accounts", "acc-0002", "fatalities_best", "six")
    proc = run_cli("--root", str(scratch.root), "validate", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["valid"] is False and report["count"] == len(report["problems"])
    problem = next(p for p in report["problems"] if p["rule"] == "type")
    assert problem == {
        "file": "data/csv/event_accounts.csv",
        "line": 3,
        "record": "acc-0002",
        "field": "fatalities_best",
        "rule": "type",
        "value": "six",
        "message": problem["message"],
    }


def test_github_annotations(scratch):
    set_cell(scratch, "event_accounts", "acc-0002", "fatalities_best", "six")
    proc = run_cli("--root", str(scratch.root), "validate", "--format", "github")
    expected = "::error file=data/csv/event_accounts.csv,line=3,title=type::record acc-0002 field fatalities_best"
    assert expected in proc.stdout


def test_fmt_fills_offsets_sorts_rows_and_orders_columns(scratch):
    header, rows = read_rows(scratch, "actors")
    expected = {r[0]: (r[header.index("char_start")], r[header.index("char_end")]) for r in rows}
    for r in rows:
        r[header.index("char_start")] = r[header.index("char_end")] = ""
    order = list(reversed(range(len(header))))
    write_rows(scratch, "actors", [header[i] for i in order], [[r[i] for i in order] for r in reversed(rows)])
    proc = run_cli("--root", str(scratch.root), "fmt", "--check")
    assert proc.returncode == 1 and "-actor_id" not in proc.stdout and "+actor_id,name" in proc.stdout
    assert run_cli("--root", str(scratch.root), "fmt").returncode == 0
    header2, rows2 = read_rows(scratch, "actors")
    assert header2 == header
    assert [r[0] for r in rows2] == sorted(expected)
    assert {r[0]: (r[header.index("char_start")], r[header.index("char_end")]) for r in rows2} == expected
    assert run_cli("--root", str(scratch.root), "fmt", "--check").returncode == 0
    assert run_cli("--root", str(scratch.root), "validate").returncode == 0


def test_fmt_refuses_to_guess_an_ambiguous_quote(scratch):
    set_cell(scratch, "locations", "loc-0002", "quote", "Nagorno-Karabakh")
    set_cell(scratch, "locations", "loc-0002", "char_start", "")
    proc = run_cli("--root", str(scratch.root), "fmt")
    assert proc.returncode == 1 and "quote-ambiguous" in proc.stdout
    assert get_cell(scratch, "locations", "loc-0002", "char_start") == ""
    # the coder disambiguates by pointing char_start at the occurrence they mean
    set_cell(scratch, "locations", "loc-0002", "char_start", "1793")
    text = (scratch.root / "seeds" / "000_bbb370cb1e115a94.txt").read_text()
    assert text[1793 : 1793 + len("Nagorno-Karabakh")] == "Nagorno-Karabakh"
    assert run_cli("--root", str(scratch.root), "fmt").returncode == 0
    assert get_cell(scratch, "locations", "loc-0002", "char_end") == str(1793 + len("Nagorno-Karabakh"))


def test_the_repository_is_in_canonical_form(real_repo):
    proc = run_cli("fmt", "--check", cwd=real_repo.root)
    assert proc.returncode == 0, proc.stdout


def test_commands_take_arrow_memory_from_jemalloc_unless_the_user_chose_a_pool(monkeypatch):
    import pyarrow as pa
    import pytest

    from karabakh_data import cli

    before = pa.default_memory_pool()
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow is built without jemalloc")
    try:
        pa.set_memory_pool(pa.system_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
        cli._use_jemalloc()
        assert pa.default_memory_pool().backend_name == "system"  # the user's choice stands
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        cli._use_jemalloc()
        assert pa.default_memory_pool().backend_name == "jemalloc"
    finally:
        pa.set_memory_pool(before)


def test_next_id_is_after_every_identifier_used_released_or_retired(scratch):
    header, rows = read_rows(scratch, "events")
    last = max(int(row[0].removeprefix("evt-")) for row in rows)
    proc = run_cli("--root", str(scratch.root), "next-id", "events", "--count", "2")
    assert proc.returncode == 0 and proc.stdout.split() == [f"evt-{last + 1:04d}", f"evt-{last + 2:04d}"]
    retired_header, retired = read_rows(scratch, "retired_ids")
    row = dict.fromkeys(retired_header, "")
    row.update(retired_id=f"evt-{last + 50:04d}", table_name="events")
    write_rows(scratch, "retired_ids", retired_header, retired + [[row[h] for h in retired_header]])
    proc = run_cli("--root", str(scratch.root), "next-id", "events")
    assert proc.stdout.split() == [f"evt-{last + 51:04d}"]  # a retired identifier is never given again
    proc = run_cli("--root", str(scratch.root), "next-id", "event_actors")
    assert proc.returncode == 2 and "no numbered identifiers" in proc.stderr


def test_describe_and_serve_say_what_is_missing(scratch, monkeypatch, capsys):
    (scratch.root / "data" / "karabakh.sqlite").unlink()
    code, out, err = in_process(monkeypatch, capsys, "--root", str(scratch.root), "serve", "--port", "1")
    assert code == 2 and "no data/karabakh.sqlite: run `karabakh-data export` first" in err and not out
    scratch.descriptor_path.unlink()
    for command in ("describe", "serve"):
        code, out, err = in_process(monkeypatch, capsys, "--root", str(scratch.root), command)
        assert code == 2 and "run `karabakh-data build` first" in err and not out, command


@pytest.mark.parametrize("text", ["[]", '{"resources": [{"name": "events"}]}', '{"resources": 3}', "{" * 100])
def test_describe_and_serve_refuse_a_descriptor_they_cannot_use(scratch, monkeypatch, capsys, text):
    scratch.descriptor_path.write_text(text)
    for command in ("describe", "serve"):
        code, out, err = in_process(monkeypatch, capsys, "--root", str(scratch.root), command)
        assert code == 1 and "datapackage.json" in err and "internal error" not in err and not out, command
