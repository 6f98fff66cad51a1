"""datapackage.json may only point at regular files inside the repository: no URL, no absolute path,
no '..', no hidden component, no symlink. Paths are only ever resolved locally: nothing is fetched."""

from __future__ import annotations

import json

from ..model.problems import Problem
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


def check_descriptor(repo: Repository) -> list[Problem]:
    """datapackage.json may only point at regular files inside the repository."""
    file = repo.relative(repo.descriptor_path)
    if not repo.descriptor_path.is_file():
        return []  # not built yet; build writes it
    text = repo.descriptor_path.read_text(encoding="utf-8", errors="replace")
    try:
        desc = json.loads(text)
    except ValueError as exc:
        return [Problem(file, None, None, None, "descriptor", None, f"not valid JSON: {exc}")]
    problems = []
    resources = desc.get("resources") if isinstance(desc, dict) else None
    sources = desc.get("sources", []) if isinstance(desc, dict) else None
    if (
        not isinstance(resources, list)
        or not all(isinstance(r, dict) for r in resources)
        or not isinstance(sources, list)
        or not all(isinstance(x, dict) for x in sources)
    ):
        return [Problem(file, None, None, None, "descriptor", None, "resources and sources must be lists of objects")]
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
    for where, path in places:
        try:
            reason = _path_problem(repo, path)
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte: not a path we will open
            reason = f"not a usable path ({exc})"
        if reason:
            needle = json.dumps(path, ensure_ascii=False)
            line = next((i for i, content in enumerate(text.splitlines(), 1) if needle in content), None)
            problems.append(Problem(file, line, where, "path", "descriptor-path", str(path), reason))
    return problems
