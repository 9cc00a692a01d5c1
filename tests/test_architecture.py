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


# Packages of intake/ that are no domain: the app glue, the command and its server files, and
# the kernel's settings, its office records (the tables without sealed columns) and its
# formatter of dates, numbers and phones.
NOT_DOMAINS = {"web", "cli", "deploy"}  # deploy: the server's files, rendered by `hiroba deploy`
KERNEL_PACKAGES = {"config", "office", "formatting"}


def domain_packages() -> list[Path]:
    """Every intake/<domain>/ package: each holds one concept, the web layer excepted."""
    root = REPO_ROOT / "intake"
    return sorted(
        p.parent
        for p in root.glob("*/__init__.py")
        if p.parent.name not in NOT_DOMAINS | KERNEL_PACKAGES
        and not SKIP_DIRS.intersection(p.parts)
    )


def is_web_module(path: Path) -> bool:
    """A domain's Flask code: its forms.py and views.py (or a named *_views.py)."""
    stem = path.stem
    return stem in {"forms", "views"} or stem.endswith("_views")


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


# STYLE.md: every domain package uses the same file names for the same roles: models.py,
# services.py (or modules named for their concept), forms.py, views.py (a domain with several
# blueprints names the others <topic>_views.py), mail.py, errors.py, and templates/<domain>/.
ROLE_MODULES = {"models", "services", "forms", "views", "mail", "errors"}
# Other words for those roles: a module so named hides its role from whoever looks for it.
ROLE_ALIASES = {
    "model",
    "service",
    "form",
    "view",
    "routes",
    "handlers",
    "controllers",
    "blueprints",
    "emails",
    "mails",
    "mailer",
    "tasks",
    "jobs",
    "exceptions",
}
IGNORED_ENTRIES = {"__pycache__"}


@pytest.mark.parametrize("package", domain_packages(), ids=lambda p: p.name)
def test_a_domain_holds_modules_and_its_templates_only(package: Path) -> None:
    """A domain is one flat folder of modules, plus templates/<domain>/ when it has pages."""
    entries = {p.name: p for p in package.iterdir() if p.name not in IGNORED_ENTRIES}
    other = sorted(n for n, p in entries.items() if p.suffix != ".py" and n != "templates")
    assert not other, f"{package.name}/ holds {other}: only modules and templates/"
    templates = entries.get("templates")
    if templates is not None:
        inside = sorted(p.name for p in templates.iterdir())
        assert inside == [package.name], f"{package.name}/templates/ holds {inside}"


@pytest.mark.parametrize("package", domain_packages(), ids=lambda p: p.name)
def test_a_domains_modules_use_the_agreed_names(package: Path) -> None:
    """No routes.py, handlers.py, service.py, tasks.py, ... beside the agreed names."""
    stems = [p.stem for p in python_files(str(package.relative_to(REPO_ROOT)))]
    aliased = sorted(
        stem
        for stem in stems
        if stem in ROLE_ALIASES or any(stem.endswith(f"_{alias}") for alias in ROLE_ALIASES)
    )
    assert not aliased, f"{package.name}: rename {aliased} to a role ({sorted(ROLE_MODULES)})"
    named_role = sorted(
        stem
        for stem in stems
        if stem.endswith(tuple(f"_{role}" for role in ROLE_MODULES - {"views"}))
    )
    assert not named_role, f"{package.name}: one {named_role} module per domain, no prefix"


def _name_of(node: ast.expr) -> str:
    """Return the last name of a class base or callee (`Form`, `wtforms.Form`: "Form")."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _blueprints_and_forms(path: Path) -> tuple[list[ast.Call], list[str]]:
    """Return a module's Blueprint(...) calls and the classes it derives from a form base."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name_of(node.func) == "Blueprint"
    ]
    forms = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(_name_of(base).endswith(("Form", "FormBase")) for base in node.bases)
    ]
    return calls, forms


@pytest.mark.parametrize("package", domain_packages(), ids=lambda p: p.name)
def test_blueprints_live_in_views_and_forms_in_forms(package: Path) -> None:
    """A domain's blueprints are in its views modules, its form classes in its forms.py;
    each blueprint that renders pages finds them in the domain's templates/."""
    misplaced = []
    for path in python_files(str(package.relative_to(REPO_ROOT))):
        calls, forms = _blueprints_and_forms(path)
        renders = {"render_template", "retry_later"} & {
            m.rpartition(".")[2] for m in imported_modules(path)
        }
        if calls and not (path.stem == "views" or path.stem.endswith("_views")):
            misplaced.append(f"{path.name} creates a Blueprint")
        if forms and path.stem != "forms":
            misplaced.append(f"{path.name} defines forms {forms}")
        for call in calls:
            folder = {k.arg: getattr(k.value, "value", None) for k in call.keywords}
            if renders and folder.get("template_folder") != "templates":
                misplaced.append(f'{path.name}: a Blueprint without template_folder="templates"')
        if renders and not (package / "templates" / package.name).is_dir():
            misplaced.append(f"{path.name} renders pages, but {package.name}/templates/ is missing")
    assert not misplaced, f"{package.name}: {misplaced}"


def test_the_kernel_imports_neither_flask_nor_a_domains_web_code() -> None:
    kernel = [
        p
        for p in python_files("intake")
        if p.parent == REPO_ROOT / "intake"
        or p.parent in {REPO_ROOT / "intake" / name for name in KERNEL_PACKAGES}
    ]
    assert kernel, "no intake kernel modules found"
    assert REPO_ROOT / "intake" / "config" / "parsers.py" in kernel
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


# The one formatter of dates and numbers (STYLE.md): Babel and the stdlib only, so the site's
# plugins write dates exactly as the intake, mails and exports do.
SHARED_WITH_PELICAN = ("intake.formatting.dates", "intake.formatting.numbers")


def test_pelican_folder_imports_neither_intake_nor_worker() -> None:
    files = python_files("pelican")
    assert files, "no pelican config or plugins found"

    def shared(line: str) -> bool:
        module = line.rpartition(" imports ")[2]
        return module in {"intake", "intake.formatting"} or any(
            module == m or module.startswith(m + ".") for m in SHARED_WITH_PELICAN
        )

    found = [line for line in violations(files, ("intake", "worker")) if not shared(line)]
    assert not found


def test_what_pelican_shares_imports_only_babel_and_the_stdlib() -> None:
    for name in SHARED_WITH_PELICAN:
        path = REPO_ROOT / (name.replace(".", "/") + ".py")
        outside = (
            {
                m.partition(".")[0]
                for m in imported_modules(path)
                if not m.startswith(("babel", *SHARED_WITH_PELICAN))
            }
            - set(sys.stdlib_module_names)
            - {"__future__"}
        )
        assert not outside, f"{name} imports {outside}: the Pelican plugins import it"


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
