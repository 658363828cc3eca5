"""The lock is what we ship: what .venv holds, what a platform deploys, what our code may import.

`make lock-check` proves pyproject.toml and the lock agree (it compiles the lock again and
compares). These tests prove the rest: the running venv holds exactly the lock, the deploy file
pins the same versions with hashes, and no module of ours imports a package the lock holds only
by accident (a dependency of a dependency), which an upgrade elsewhere could take away.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])


def locked(path: Path) -> dict[str, tuple[Requirement, list[str]]]:
    """Each requirement of a compiled lock file with its hashes, keyed by canonical name."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(" --hash=")
        requirement = Requirement(parts[0].strip())
        entries[canonicalize_name(requirement.name)] = (requirement, [h.strip() for h in parts[1:]])
    return entries


DEV = locked(ROOT / "requirements-dev.txt")
RUNTIME = locked(ROOT / "requirements.txt")


def pinned(requirement: Requirement) -> Version:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not pinned with =="
    return Version(spec.version)


def applies_here(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(dict(default_environment()))


def test_every_locked_package_is_pinned_with_hashes() -> None:
    for name, (requirement, hashes) in {**DEV, **RUNTIME}.items():
        pinned(requirement)
        assert hashes, f"{name} has no hash in the lock"
        assert all(h.startswith("sha256:") for h in hashes), name
        assert requirement.url is None, f"{name} comes from a URL, not the registry"


def test_the_deploy_file_pins_what_the_dev_lock_pins() -> None:
    """A platform's `pip install -r requirements.txt` gets the versions the suite ran against."""
    assert set(RUNTIME) <= set(DEV)
    for name, (requirement, hashes) in RUNTIME.items():
        dev_requirement, dev_hashes = DEV[name]
        assert pinned(requirement) == pinned(dev_requirement), name
        assert set(hashes) == set(dev_hashes), name
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    # Hash-checking mode refuses a local directory or an editable: the app runs from its folder.
    assert not any(line.strip() in {".", "-e ."} for line in text.splitlines())


def test_the_deploy_file_holds_every_runtime_dependency() -> None:
    for spec in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in RUNTIME, f"{name} is a dependency but requirements.txt lacks it"
        assert pinned(RUNTIME[name][0]) in requirement.specifier, name


def test_the_venv_holds_exactly_the_lock() -> None:
    """`pip list` is the lock: nothing more (but pip and us), nothing less, the same versions."""
    installed = {
        canonicalize_name(dist.metadata["Name"]): Version(dist.version)
        for dist in metadata.distributions()
    }
    installed.pop(PROJECT, None)
    installed.pop("pip", None)
    expected = {name: pinned(req) for name, (req, _) in DEV.items() if applies_here(req)}
    assert installed == expected


def test_python_version_is_one_the_lock_was_resolved_for() -> None:
    wanted = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    supported = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert Version(wanted) in supported
    # The lock is resolved from requires-python's floor up: .python-version names that floor.
    floor = min(Version(s.version) for s in supported if s.operator == ">=")
    assert Version(wanted) == floor
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == wanted


def declared() -> set[str]:
    specs = list(PYPROJECT["project"]["dependencies"])
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        specs.extend(extra)
    return {canonicalize_name(Requirement(spec).name) for spec in specs}


def imported_top_level(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_code_imports_only_what_pyproject_declares() -> None:
    """An import of a package we get only through another one breaks when that one changes."""
    ours = {"bot", "tests", "bench"}
    owners = metadata.packages_distributions()
    undeclared: dict[str, set[str]] = {}
    for folder in ("bot", "tests", "bench"):
        for module in imported_top_level(ROOT / folder) - ours - set(sys.stdlib_module_names):
            distributions = {canonicalize_name(d) for d in owners.get(module, [])}
            assert distributions, f"{folder} imports {module}, which nothing installed provides"
            if not distributions & declared():
                undeclared.setdefault(module, set()).update(distributions)
    assert undeclared == {}
