"""The import table of STYLE.md, kept true by scanning every module's imports (AST, no import)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from intake.config import REPO_ROOT

SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "instance",
    "build",
    "dist",
}
WEB_LIBRARIES = ("flask", "flask_wtf", "wtforms")
# STYLE.md: a module may pass about 400 lines when it is one idea; past 600 it is two.
# Modules past WARN_LINES are listed at the end of the run (tests/conftest.py); MAX_LINES fails.
WARN_LINES = 400
MAX_LINES = 600


def python_files(folder: str) -> list[Path]:
    """Every .py file under REPO_ROOT/folder, skipping caches and virtual environments."""
    root = REPO_ROOT / folder
    return sorted(
        p for p in root.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(REPO_ROOT).parts)
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every module path imports, anywhere in the file, with relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base_parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base:
                found.add(base)
            # `from intake import web` imports intake.web: count each name as a submodule too.
            found.update(
                f"{base}.{alias.name}" if base else alias.name
                for alias in node.names
                if alias.name != "*"
            )
    return found


def violations(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in paths:
        for module in sorted(imported_modules(path)):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(REPO_ROOT)} imports {module}")
    return found


def is_under(path: Path, folder: str) -> bool:
    return path.is_relative_to(REPO_ROOT / folder)


def test_the_resolver_handles_relative_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forbidden import written relatively (`from ..web import x`) is still caught."""
    package = tmp_path / "intake" / "services"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from . import sample\n")
    (package / "sample.py").write_text(
        "from ..web import views\nfrom .. import crypto\nfrom . import other\n"
        "def f():\n    import worker.build\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "REPO_ROOT", tmp_path)
    assert imported_modules(package / "sample.py") == {
        "intake.web",
        "intake.web.views",
        "intake",
        "intake.crypto",
        "intake.services",
        "intake.services.other",
        "worker.build",
    }
    assert imported_modules(package / "__init__.py") == {
        "intake.services",
        "intake.services.sample",
    }


# STYLE.md: no folder holds more than about 15 modules.
MAX_MODULES_PER_FOLDER = 15


def domain_packages() -> list[Path]:
    """Every intake/<domain>/ package: each holds one concept, the web layer excepted."""
    root = REPO_ROOT / "intake"
    return sorted(
        p.parent
        for p in root.glob("*/__init__.py")
        if p.parent.name not in {"web", "cli"} and not SKIP_DIRS.intersection(p.parts)
    )


def is_web_module(path: Path) -> bool:
    """A domain's Flask code: its forms.py/views.py (or a named *_forms.py/*_views.py)."""
    stem = path.stem
    return stem in {"forms", "views"} or stem.endswith(("_forms", "_views"))


def web_module_names() -> tuple[str, ...]:
    return tuple(
        module_name(p)
        for package in domain_packages()
        for p in python_files(str(package.relative_to(REPO_ROOT)))
        if is_web_module(p)
    )


def test_intake_has_domain_packages() -> None:
    names = {p.name for p in domain_packages()}
    assert {"accounts", "posts", "moderation", "applications", "uploads"} <= names


@pytest.mark.parametrize("package", domain_packages(), ids=lambda p: p.name)
def test_only_a_domains_forms_and_views_import_flask(package: Path) -> None:
    """In each domain, Flask lives in forms/views; models, services and mail never see it."""
    modules = python_files(str(package.relative_to(REPO_ROOT)))
    assert modules, f"{package} holds no modules"
    core = [p for p in modules if not is_web_module(p)]
    assert not violations(core, (*WEB_LIBRARIES, "flask_babel", "worker", "intake.web"))
    assert not violations(core, web_module_names())


def test_the_kernel_imports_neither_flask_nor_a_domains_web_code() -> None:
    kernel = [p for p in python_files("intake") if p.parent == REPO_ROOT / "intake"]
    assert kernel, "no intake kernel modules found"
    assert not violations(kernel, (*WEB_LIBRARIES, "worker", "intake.web", *web_module_names()))


def test_intake_never_imports_worker() -> None:
    """intake enqueues jobs by dotted name; the cli runs the worker as `python -m worker`."""
    intake = python_files("intake")
    assert intake, "no intake modules found"
    assert not violations(intake, ("worker",))


def test_no_folder_holds_more_than_about_15_modules() -> None:
    folders: dict[Path, int] = {}
    for path in [*python_files("intake"), *python_files("worker"), *python_files("pelican")]:
        if path.name == "__init__.py":
            continue
        folders[path.parent] = folders.get(path.parent, 0) + 1
    crowded = [
        f"{folder.relative_to(REPO_ROOT)} ({count} modules)"
        for folder, count in sorted(folders.items())
        if count > MAX_MODULES_PER_FOLDER
    ]
    assert not crowded, f"split these folders by concept: {', '.join(crowded)}"


def test_worker_imports_neither_flask_nor_the_web_layer() -> None:
    worker = python_files("worker")
    assert worker, "no worker modules found"
    forbidden = (*WEB_LIBRARIES, "intake.web", "intake.cli", *web_module_names())
    assert not violations(worker, forbidden)


def test_pelican_folder_imports_neither_intake_nor_worker() -> None:
    files = python_files("pelican")
    assert files, "no pelican config or plugins found"
    assert not violations(files, ("intake", "worker"))


def test_pelican_folder_is_not_a_package() -> None:
    assert not (REPO_ROOT / "pelican" / "__init__.py").exists(), (
        "pelican/__init__.py would shadow the installed pelican library"
    )


@pytest.mark.parametrize("folder", ["theme", "content"])
def test_theme_and_content_hold_no_code(folder: str) -> None:
    assert not [str(p.relative_to(REPO_ROOT)) for p in python_files(folder)]


def test_no_grab_bag_modules() -> None:
    grab_bags = {"utils.py", "helpers.py", "misc.py"}
    found = [str(p.relative_to(REPO_ROOT)) for p in python_files(".") if p.name in grab_bags]
    assert not found, f"split these by concept: {', '.join(found)}"


def module_sizes(at_least: int) -> list[str]:
    """Return the intake and worker modules of at_least lines, with their sizes."""
    found = []
    for path in [*python_files("intake"), *python_files("worker")]:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= at_least:
            found.append(f"{path.relative_to(REPO_ROOT)} ({lines} lines)")
    return found


def test_modules_stay_small() -> None:
    too_long = module_sizes(MAX_LINES)
    assert not too_long, f"modules of {MAX_LINES} lines or more: {', '.join(too_long)}"
