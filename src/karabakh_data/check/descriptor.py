"""datapackage.json may only point at regular files inside the repository: no URL, no absolute path,
no '..', no hidden component, no symlink. Paths are only ever resolved locally: nothing is fetched."""

from __future__ import annotations

import json

from ..model.dictionary import MAX_DESCRIPTOR_BYTES
from ..model.jsonfile import TEXT, JsonFileError, parse_json, read_capped, record
from ..model.problems import LISTED_PER_RULE_AND_FILE, Omitted, Problem
from ..model.repository import Repository


def _path_problem(repo: Repository, path: object) -> str | None:
    """Why a descriptor path is unsafe, or None. Paths are only ever resolved locally: nothing is fetched."""
    if not isinstance(path, str) or not path:
        return "the path must be a non-empty string"
    if "://" in path or path.startswith(("file:", "data:")):
        return "URLs are not allowed: every resource is a file in this repository"
    if path.startswith(("/", "~", "$")) or "\\" in path or (len(path) > 1 and path[1] == ":"):
        return "the path must be relative, with forward slashes"
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return "the path must not contain '..', '.', empty or hidden components"
    current = repo.root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return "the path goes through a symlink"
    if not current.resolve().is_relative_to(repo.root.resolve()):
        return "the path leaves the repository"
    if not current.is_file():
        return "the file does not exist"
    return None


_ANY = {}  # a path's type and value are judged by _path_problem, which says what is wrong with it
_REFERENCE = {"type": ["object", "string"]}
DESCRIPTOR_SHAPE = record(
    {
        "resources": {
            "type": "array",
            "items": record(
                {
                    "name": TEXT,
                    "path": _ANY,
                    "schema": _REFERENCE,
                    "dialect": _REFERENCE,
                    "x-parquet": {"type": "object"},
                },
                ("name",),
                closed=False,
            ),
        },
        "sources": {"type": "array", "items": {"type": "object"}},
    },
    ("resources",),
    closed=False,
)


def read_descriptor(repo: Repository) -> tuple[dict | None, str, list[Problem]]:
    """datapackage.json (None when there is none yet, or it cannot be used), its text, and why it
    cannot be used."""
    file, path = repo.relative(repo.descriptor_path), repo.descriptor_path
    if not path.exists() and not path.is_symlink():
        return None, "", []  # not built yet; build writes it
    try:
        if not repo.is_regular_inside(path):
            raise JsonFileError("the descriptor must be a regular file, not a symlink")
        data = read_capped(path, MAX_DESCRIPTOR_BYTES)
        desc = parse_json(data, DESCRIPTOR_SHAPE, MAX_DESCRIPTOR_BYTES)
    except JsonFileError as exc:
        return None, "", [Problem(file, None, exc.where, None, "descriptor", None, exc.message)]
    return desc, data.decode("utf-8"), []  # parse_json has decoded it once: it is UTF-8


def check_descriptor(repo: Repository) -> list[Problem | Omitted]:
    """datapackage.json may only point at regular files inside the repository."""
    file = repo.relative(repo.descriptor_path)
    desc, text, problems = read_descriptor(repo)
    if desc is None:
        return problems
    resources, sources = desc["resources"], desc.get("sources", [])
    places = [(f"resources[{r.get('name')}].path", r.get("path")) for r in resources]
    places += [
        (f"resources[{r.get('name')}].x-parquet.path", (r.get("x-parquet") or {}).get("path")) for r in resources
    ]
    # a cited source has no path: nothing of it is shipped
    places += [(f"sources[{i}].path", x["path"]) for i, x in enumerate(sources) if "path" in x]
    for r in resources:
        for key in ("schema", "dialect"):
            if isinstance(r.get(key), str):
                places.append((f"resources[{r.get('name')}].{key}", r[key]))
    lines, unlisted = text.splitlines(), 0
    for where, path in places:
        try:
            reason = _path_problem(repo, path)
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte: not a path we will open
            reason = f"not a usable path ({exc})"
        if reason and len(problems) >= LISTED_PER_RULE_AND_FILE:
            unlisted += 1  # counted, not looked up line by line: a crafted descriptor holds thousands
        elif reason:
            needle = json.dumps(path, ensure_ascii=False)
            line = next((i for i, content in enumerate(lines, 1) if needle in content), None)
            problems.append(Problem(file, line, where, "path", "descriptor-path", str(path)[:200], reason))
    return problems + ([Omitted(file, "descriptor-path", unlisted)] if unlisted else [])
