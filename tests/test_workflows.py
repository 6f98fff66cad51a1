"""CI judged by parsing it, not by searching its text: every workflow in .github/workflows/, .ci/run and
.github/CODEOWNERS. Each rule below is held to a known-bad variant of the real file (issue 19, "Why"
item 9: `exit 0` in .ci/run, `|| true` or `continue-on-error` in a workflow, a new
`pull_request_target` workflow with `write-all`)."""

from __future__ import annotations

import copy
import re
import shlex

import pytest
import yaml

from conftest import ROOT
from test_project_files import CHECKS

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
ALLOWED_TRIGGERS = {"pull_request", "push", "workflow_dispatch"}
ALLOWED_ACTIONS = ("actions/checkout@", "actions/setup-python@")
HIDING_OPERATORS = {"||", ";", "|", "&", "|&"}  # each can run on past a failure or hide its exit code
NO_OP_COMMANDS = {"exit", "true", ":", "trap", "return"}
# the contexts a workflow may put in env or with: values that no contributor chooses
TRUSTED_EXPRESSIONS = re.compile(
    r"\$\{\{\s*(github\.event\.pull_request\.base\.sha|github\.event\.before)(\s*\|\|\s*(github\.event\.pull_request\.base\.sha|github\.event\.before))*\s*\}\}"
)


def triggers(workflow: dict) -> dict:
    found = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    return {found: None} if isinstance(found, str) else dict.fromkeys(found) if isinstance(found, list) else found


def commands(script: str) -> list[list[str]]:
    """The lines of a shell script as tokens, operators apart (continuations joined, comments dropped)."""
    lines = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        if tokens:
            lines.append(tokens)
    return lines


def script_faults(script: str) -> list[str]:
    faults, lines = [], commands(script)
    for tokens in lines:
        if HIDING_OPERATORS & set(tokens):
            faults.append(f"{' '.join(tokens)!r} may run past a failure or hide an exit code")
        if "&&" in tokens and len(lines) > 1:
            faults.append(f"{' '.join(tokens)!r}: a failure before the last && does not stop a script of several lines")
        starts = [tokens[0]] + [tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t == "&&"]
        if NO_OP_COMMANDS & set(starts):
            faults.append(f"{' '.join(tokens)!r} ends or empties the script")
        if "set" in starts and any(t.startswith("+") for t in tokens):
            faults.append(f"{' '.join(tokens)!r} turns error checking off")
    return faults


def _values(node: object):
    if isinstance(node, dict):
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)
    else:
        yield node


def step_faults(what: str, step: dict) -> list[str]:
    faults = [f"{what}: {key}" for key in ("continue-on-error", "if", "shell", "working-directory") if key in step]
    uses = step.get("uses", "")
    if uses and not uses.startswith(ALLOWED_ACTIONS):
        faults.append(f"{what}: the action {uses} is not one of {ALLOWED_ACTIONS}")
    if uses.startswith("actions/checkout@") and (step.get("with") or {}).get("persist-credentials") is not False:
        faults.append(f"{what}: checkout must not keep the token (persist-credentials: false)")
    if "${{" in step.get("run", ""):
        faults.append(f"{what}: an expression in a script (pass it in env)")
    return faults + [f"{what}: {fault}" for fault in script_faults(step.get("run", ""))]


def job_faults(name: str, job: dict) -> list[str]:
    faults = []
    permissions = job.get("permissions", {})
    if not isinstance(permissions, dict) or set(permissions.values()) - {"read", "none"}:
        faults.append(f"job {name}: permissions {permissions!r} are not read-only")
    for key in ("continue-on-error", "if", "defaults", "uses", "secrets"):
        if key in job:
            faults.append(f"job {name}: {key} (a job that can fail unseen, be skipped or run other code)")
    for step in job.get("steps", []):
        faults += step_faults(f"job {name}, step {step.get('name') or step.get('uses') or step.get('run')!r}", step)
    return faults


def workflow_faults(workflow: dict) -> list[str]:
    faults = []
    on = triggers(workflow) or {}
    if set(on) - ALLOWED_TRIGGERS:
        faults.append(
            f"triggers {sorted(set(on) - ALLOWED_TRIGGERS)}: only {sorted(ALLOWED_TRIGGERS)} run without secrets"
        )
    if workflow.get("permissions") != {"contents": "read"}:
        faults.append(f"permissions {workflow.get('permissions')!r}: the workflow's token must be contents: read")
    if "defaults" in workflow:
        faults.append("defaults: a default shell or directory changes what every step runs")
    for name, job in (workflow.get("jobs") or {}).items():
        faults += job_faults(name, job)
    for value in _values(workflow):
        if isinstance(value, str) and "${{" in value and not TRUSTED_EXPRESSIONS.fullmatch(value.strip()):
            faults.append(f"the expression {value!r} takes a value the change chooses (or a secret)")
    return faults


def load(path) -> dict:
    return yaml.safe_load(path.read_text())


def test_there_is_a_workflow_and_each_has_no_fault():
    assert WORKFLOWS
    for path in WORKFLOWS:
        assert workflow_faults(load(path)) == [], path.name


def _gate(workflow: dict) -> dict:
    return workflow["jobs"]["gate"]


def _gate_commands(job: dict) -> tuple[str | None, list[list[str]]]:
    """The venv the gate creates, and each command it runs (the parts of && lists apart)."""
    venv, ran = None, []
    for step in job["steps"]:
        for tokens in commands(step.get("run", "")):
            for command in " ".join(tokens).split(" && "):
                words = command.split()
                ran.append(words)
                if words[:3] == ["python3", "-m", "venv"]:
                    venv = words[3]
    return venv, ran


def gate_faults(workflow: dict) -> list[str]:
    """The gate job installs the validator from a checkout of the base, and runs only it, with --base,
    on the change's checkout; it runs nothing of the change's."""
    job = (workflow.get("jobs") or {}).get("gate")
    if not job:
        return ["no gate job"]
    checkouts = {s["with"].get("path"): s["with"] for s in job["steps"] if "checkout" in s.get("uses", "")}
    base = [p for p, w in checkouts.items() if "github.event.pull_request.base.sha" in str(w.get("ref", ""))]
    change = [p for p, w in checkouts.items() if "ref" not in w]
    if len(base) != 1 or len(change) != 1 or None in base + change:
        return ["the gate checks out the base and the change, each into a folder of its own"]
    base, change = base[0], change[0]
    faults, (venv, ran) = [], _gate_commands(job)
    installs = [w[2:] for w in ran if venv and w[0] == f"{venv}/bin/pip" and "install" in w]
    if venv is None or len(installs) != 1 or not _installs_only(installs[0], base):
        faults.append(f"the validator is installed from ./{base} alone, not editable, into a venv of its own")
    runs = [w for w in ran if venv and w[0] == f"{venv}/bin/karabakh-data"]
    if not runs or any(w[1:3] != ["--root", change] or "validate" not in w or "--base" not in w for w in runs):
        faults.append(f"the base's validator runs `--root {change} validate --base ...`")
    faults += [
        f"{' '.join(w)!r} runs the change's code"
        for w in ran
        if any(x.startswith((change + "/", f"./{change}")) for x in w)
    ]
    return faults


def _installs_only(arguments: list[str], base: str) -> bool:
    """`pip install` of the base's folder (its extras allowed), pinned by the base's own constraints only."""
    targets = list(arguments)
    while "-c" in targets:
        at = targets.index("-c")
        if not targets[at + 1 : at + 2] or not targets[at + 1].startswith(f"./{base}/"):
            return False
        del targets[at : at + 2]
    return len(targets) == 1 and re.fullmatch(rf"\./{re.escape(base)}(\[[\w,]+\])?", targets[0]) is not None


def test_the_gate_runs_the_base_branch_s_validator_on_the_change():
    assert gate_faults(load(ROOT / ".github" / "workflows" / "validate.yml")) == []


def test_the_workflow_also_runs_the_change_s_own_checks():
    workflow = load(ROOT / ".github" / "workflows" / "validate.yml")
    runs = [
        " ".join(tokens)
        for job in workflow["jobs"].values()
        for s in job["steps"]
        for tokens in commands(s.get("run", ""))
    ]
    for check in CHECKS:
        assert any(check in run for run in runs), check


def _variant(edit) -> dict:
    workflow = copy.deepcopy(load(ROOT / ".github" / "workflows" / "validate.yml"))
    edit(workflow)
    return workflow


def _step(workflow: dict, job: str, name: str) -> dict:
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("name", "").startswith(name))


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            lambda w: _step(w, "gate", "validate the change").update(
                run=_step(w, "gate", "validate the change")["run"] + " || true"
            ),
            "hide an exit code",
        ),
        (lambda w: _step(w, "checks", "tests").update({"continue-on-error": True}), "continue-on-error"),
        (lambda w: w["jobs"]["gate"].update({"continue-on-error": True}), "continue-on-error"),
        (lambda w: w.update({True: {"pull_request_target": None}}), "triggers"),
        (lambda w: w.update({True: {"workflow_run": {"workflows": ["x"]}}}), "triggers"),
        (lambda w: w.update(permissions="write-all"), "permissions"),
        (lambda w: w["jobs"]["checks"].update(permissions={"contents": "write"}), "not read-only"),
        (lambda w: _step(w, "checks", "tests").update({"if": "false"}), "if"),
        (lambda w: _step(w, "checks", "tests").update(run="set +e\n.venv/bin/python -m pytest"), "error checking off"),
        (lambda w: _step(w, "checks", "tests").update(run=".venv/bin/python -m pytest; exit 0"), "hide an exit code"),
        (lambda w: _step(w, "checks", "tests").update(run=".venv/bin/python -m pytest | tee log"), "hide an exit code"),
        (lambda w: _step(w, "checks", "tests").update(run="false && x\n.venv/bin/python -m pytest"), "does not stop"),
        (lambda w: _step(w, "checks", "tests").update(run="echo ${{ github.event.pull_request.title }}"), "expression"),
        (lambda w: _step(w, "checks", "tests").update(shell="bash {0} || true"), "shell"),
        (lambda w: w["jobs"]["checks"]["steps"][0]["with"].pop("persist-credentials"), "persist-credentials"),
        (lambda w: w["jobs"]["checks"]["steps"].append({"uses": "someone/action@v1"}), "not one of"),
        (lambda w: w["jobs"]["checks"].update(env={"TOKEN": "${{ secrets.TOKEN }}"}), "secret"),
    ],
)
def test_a_workflow_fault_is_found(edit, words):
    assert any(words in fault for fault in workflow_faults(_variant(edit)))


@pytest.mark.parametrize(
    "edit",
    [
        lambda w: _step(w, "gate", "install the base").update(
            run='python3 -m venv "$RUNNER_TEMP/trusted" && "$RUNNER_TEMP/trusted/bin/pip" install -e ./change'
        ),
        lambda w: _step(w, "gate", "install the base").update(
            run='python3 -m venv "$RUNNER_TEMP/trusted" && "$RUNNER_TEMP/trusted/bin/pip" install -c '
            'constraints.txt "./trusted[check]"'
        ),
        lambda w: _step(w, "gate", "install the base").update(
            run='python3 -m venv "$RUNNER_TEMP/trusted" && "$RUNNER_TEMP/trusted/bin/pip" install "./trusted[check]" x'
        ),
        lambda w: _step(w, "gate", "validate the change").update(
            run="change/.venv/bin/karabakh-data validate --base x"
        ),
        lambda w: _step(w, "gate", "validate the change").update(
            run="$RUNNER_TEMP/trusted/bin/karabakh-data --root change validate"
        ),
        lambda w: _step(w, "gate", "the base branch")["with"].pop("ref"),
        lambda w: w["jobs"]["gate"]["steps"].append({"name": "x", "run": "bash ./change/.ci/run"}),
        lambda w: w["jobs"].pop("gate"),
    ],
)
def test_a_gate_fault_is_found(edit):
    assert gate_faults(_variant(edit))


def test_ci_run_stops_at_the_first_failure():
    script = (ROOT / ".ci" / "run").read_text()
    lines = commands(script)
    assert lines[0] == ["set", "-euo", "pipefail"]
    assert ci_run_faults(script) == []


def ci_run_faults(script: str) -> list[str]:
    """.ci/run may chain the README's test command with &&: under set -e a failure in it stops the
    script at the next command, which needs what failed; nothing may hide or end early."""
    lines = commands(script)
    if not lines or lines[0] != ["set", "-euo", "pipefail"]:
        return ["the script starts with set -euo pipefail"]
    probes = {repr(" ".join(tokens)) for tokens in lines if _is_probe(tokens)}
    return [f for f in script_faults(script) if "does not stop" not in f and f.split(" may run")[0] not in probes]


def _is_probe(tokens: list[str]) -> bool:
    """`if ! command -v a >/dev/null || ! command -v b >/dev/null; then`: a condition that only asks
    whether programs are installed hides no failure."""
    if tokens[:1] != ["if"] or tokens[-2:] != [";", "then"]:
        return False
    tests = " ".join(tokens[1:-2]).split(" || ")
    return all(re.fullmatch(r"!? ?command -v [\w.-]+( > /dev/null)?", test) for test in tests)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda s: s.replace(".venv/bin/lint-imports\n", ".venv/bin/lint-imports\nexit 0\n"), "ends"),
        (lambda s: s.replace("--format github\n", "--format github || true\n"), "hide"),
        (lambda s: s.replace("set -euo pipefail", "set -uo pipefail"), "set -euo pipefail"),
        (lambda s: s.replace(".venv/bin/lint-imports\n", "set +e\n.venv/bin/lint-imports\n"), "off"),
        (lambda s: s.replace("! command -v java >/dev/null", "! .venv/bin/python -m pytest -m slow"), "hide"),
    ],
)
def test_a_ci_run_fault_is_found(edit, words):
    script = (ROOT / ".ci" / "run").read_text()
    assert any(words in fault for fault in ci_run_faults(edit(script)))


# every path a contribution must not change without a maintainer's review, and some it may
OWNED = [
    "src/karabakh_data/cli.py",
    "tests/conftest.py",
    "benchmarks/run.py",
    "pyproject.toml",
    ".ci/run",
    ".github/workflows/validate.yml",
    ".github/workflows/another.yml",
    ".github/CODEOWNERS",
    "schemas/events.json",
    "schemas/views/acled_view.json",
    "data/csv/vocab_factuality.csv",
    "data/csv/vocab_a_new_vocabulary.csv",
    "data/csv/retired_ids.csv",
    "seeds/000_bbb370cb1e115a94.txt",
    "seeds/123_0123456789abcdef.txt",
    "data/release.json",
    "data/released_ids.csv",
]
NOT_OWNED = ["data/csv/events.csv", "CHANGELOG.md", "datapackage.json"]


def owners(codeowners: str, path: str) -> list[str]:
    """The owners of a path: those of the last pattern that matches it (GitHub's rule)."""
    found = []
    for line in codeowners.splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        pattern, names = parts[0], parts[1:]
        anchored = pattern.lstrip("/")
        regex = re.escape(anchored).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex + (".*" if anchored.endswith("/") else "(/.*)?")
        if re.fullmatch(regex if pattern.startswith("/") else f"(.*/)?{regex}", path):
            found = names
    return found


def test_codeowners_own_the_code_the_ci_and_what_the_gate_judges_against():
    text = (ROOT / ".github" / "CODEOWNERS").read_text()
    for path in OWNED:
        assert owners(text, path) and all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", o) for o in owners(text, path)), path
    for path in NOT_OWNED:
        assert owners(text, path) == [], path


def test_a_codeowners_line_that_drops_an_owner_is_found():
    text = (ROOT / ".github" / "CODEOWNERS").read_text() + "/seeds/\n"
    assert owners(text, "seeds/000_bbb370cb1e115a94.txt") == []
