"""The software the commands run with.

Users of the data install only what load() needs (pandas and pyarrow, in wide ranges). The commands
that read and check the coded tables need the `check` extra, whose pyarrow is the one they are tested
with (an older one crashed validate): they say so instead of failing half-way. The commands that
write published files need the versions pinned in the repository's constraints.txt, because those
versions are part of the bytes they write (pyarrow's is in every Parquet file's footer): a repository
whose constraints.txt pins nothing makes no such promise and is not checked.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from ..model.problems import Problem
from ..model.repository import Repository

DISTRIBUTION = "karabakh-data"
CONSTRAINTS_FILE = "constraints.txt"
# the distributions whose versions are in the bytes each command writes
WRITERS = {"build": ("pyarrow",), "figures": ("matplotlib", "pillow")}
INSTALL_PINNED = f"pip install -c {CONSTRAINTS_FILE} -e '.[check,figures]'"
PIN = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;]*?)\s*(?:;(.*))?$")
SPECIFIER = re.compile(r"\s*(>=|<=|==|!=|<|>)\s*([0-9][0-9.]*)\s*$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of a version ("26.0.1" -> (26, 0, 1)), trailing zeros dropped so that 26 == 26.0."""
    match = re.match(r"[0-9]+(\.[0-9]+)*", version)
    numbers = [int(x) for x in match.group(0).split(".")] if match else []
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def satisfies(version: str, specifiers: str) -> bool:
    """Whether a version meets comma-separated specifiers such as ">=26,<27" (numeric releases only)."""
    for specifier in filter(None, (s.strip() for s in specifiers.split(","))):
        match = SPECIFIER.fullmatch(specifier)
        if match is None:
            continue  # a form this check does not read: pip enforced it at install time
        have, bound = _release(version), _release(match.group(2))
        if not {
            ">=": have >= bound,
            "<=": have <= bound,
            "==": have == bound,
            "!=": have != bound,
            "<": have < bound,
            ">": have > bound,
        }[match.group(1)]:
            return False
    return True


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def unmet_extra(extra: str) -> list[str]:
    """The requirements of one of this package's extras that the environment does not meet, each
    with what is installed; [] when the package's metadata cannot be found (run from a source tree)."""
    try:
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []
    unmet = []
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        if match is None or not re.search(rf"extra\s*==\s*['\"]{re.escape(extra)}['\"]", match.group(4) or ""):
            continue
        name, specifiers = match.group(1), match.group(3)
        installed = installed_version(name)
        if installed is None or not satisfies(installed, specifiers):
            unmet.append(f"{name}{specifiers} (installed: {installed or 'none'})")
    return unmet


def pins(root: Path) -> dict[str, tuple[int, str]]:
    """Normalised distribution name -> (line, version) of each exact pin in the repository's constraints.txt."""
    path = root / CONSTRAINTS_FILE
    if not path.is_file():
        return {}
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = PIN.match(line)
        if match:
            found[_normal(match.group(1))] = (number, match.group(2))
    return found


def writer_problems(repo: Repository, command: str) -> list[Problem]:
    """A problem for each distribution the command's output depends on whose installed version is not
    the one constraints.txt pins."""
    pinned, problems = pins(repo.root), []
    for name in WRITERS[command]:
        if _normal(name) not in pinned:
            continue
        line, version = pinned[_normal(name)]
        installed = installed_version(name)
        if installed is None or _release(installed) != _release(version):
            problems.append(
                Problem(
                    CONSTRAINTS_FILE,
                    line,
                    None,
                    name,
                    "writer-version",
                    installed,
                    f"{command} writes files whose bytes depend on {name}'s version: {version} is pinned, "
                    f"{installed or 'none'} is installed; install the pins: {INSTALL_PINNED}",
                )
            )
    return problems
