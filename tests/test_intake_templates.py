"""Every template the intake names resolves through the app's loader, from one place only.

Templates live beside their domain (intake/<domain>/templates/<domain>/, found through the
domain's blueprints) or, when several domains share them, in intake/web/templates. The names
come from the code (each .html string of a module that renders templates) and from the
templates themselves (extends, include, import, from), so a moved or renamed template
fails here rather than as a 500 on a page no test happened to open.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
from jinja2 import meta

from intake.config import REPO_ROOT

INTAKE = REPO_ROOT / "intake"
TEMPLATE_NAME = re.compile(r"^[\w/]+\.html$")
RENDERERS = {"render_template", "retry_later"}


def _renders_templates(tree: ast.Module) -> bool:
    """Whether a module imports render_template or retry_later (so its .html strings are names)."""
    return any(
        isinstance(node, ast.ImportFrom) and RENDERERS & {alias.name for alias in node.names}
        for node in ast.walk(tree)
    )


def names_in_code() -> dict[str, list[str]]:
    """Map each template name written in the intake's Python to the modules that write it."""
    found: dict[str, list[str]] = {}
    for path in sorted(INTAKE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if not _renders_templates(tree):
            continue
        for node in ast.walk(tree):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and TEMPLATE_NAME.match(value):
                found.setdefault(value, []).append(str(path.relative_to(REPO_ROOT)))
    return found


def template_folders(app) -> list[Path]:  # type: ignore[no-untyped-def]
    """The app's template folder and each blueprint's, once each, in the loader's order."""
    loaders = [app.jinja_loader, *(bp.jinja_loader for bp in app.iter_blueprints())]
    folders: list[Path] = []
    for loader in loaders:
        if isinstance(loader, jinja2.FileSystemLoader):
            for folder in map(Path, loader.searchpath):
                if folder not in folders:
                    folders.append(folder)
    return folders


def templates_by_folder(app) -> dict[Path, set[str]]:  # type: ignore[no-untyped-def]
    return {
        folder: {str(p.relative_to(folder)) for p in folder.rglob("*.html")}
        for folder in template_folders(app)
    }


def names_in_templates(app) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Map each template named by a template (extends, include, import) to its users."""
    found: dict[str, list[str]] = {}
    for folder, names in templates_by_folder(app).items():
        for name in sorted(names):
            source = (folder / name).read_text(encoding="utf-8")
            for used in meta.find_referenced_templates(app.jinja_env.parse(source)):
                assert used is not None, f"{name} names a template by a variable"
                found.setdefault(used, []).append(name)
    return found


def test_the_code_names_templates(app) -> None:  # type: ignore[no-untyped-def]
    names = names_in_code()
    assert "message.html" in names
    assert "accounts/register_individual.html" in names


def test_every_template_the_code_names_resolves(app) -> None:  # type: ignore[no-untyped-def]
    missing = []
    with app.app_context():
        for name, modules in sorted(names_in_code().items()):
            try:
                app.jinja_env.get_template(name)
            except jinja2.TemplateNotFound:
                missing.append(f"{name} ({', '.join(sorted(set(modules)))})")
    assert not missing, f"templates named in code but not found: {missing}"


def test_every_template_a_template_uses_resolves(app) -> None:  # type: ignore[no-untyped-def]
    used = names_in_templates(app)
    assert "base.html" in used and "_form.html" in used
    missing = []
    with app.app_context():
        for name, users in sorted(used.items()):
            try:
                app.jinja_env.get_template(name)
            except jinja2.TemplateNotFound:
                missing.append(f"{name} (used by {', '.join(sorted(set(users)))})")
    assert not missing, f"templates used by templates but not found: {missing}"


def test_every_template_is_used(app) -> None:  # type: ignore[no-untyped-def]
    """A template nobody names is left over from a move (or its page lost its view)."""
    named = set(names_in_code()) | set(names_in_templates(app))
    files = {name for names in templates_by_folder(app).values() for name in names}
    assert files, "no templates found"
    assert sorted(files - named) == []


def test_no_template_name_is_in_two_folders(app) -> None:  # type: ignore[no-untyped-def]
    """One name, one file: a second copy would be shadowed by the loader's order."""
    seen: dict[str, Path] = {}
    twice = []
    for folder, names in templates_by_folder(app).items():
        for name in names:
            if name in seen:
                twice.append(f"{name}: {seen[name]} and {folder}")
            seen[name] = folder
    assert not twice


def test_templates_sit_beside_their_domain(app) -> None:  # type: ignore[no-untyped-def]
    """Shared layouts and partials in intake/web/templates; a domain's under its own name."""
    folders = template_folders(app)
    assert INTAKE / "web" / "templates" in folders
    for folder, names in templates_by_folder(app).items():
        if folder == INTAKE / "web" / "templates":
            continue
        domain = folder.parent.name
        assert folder == INTAKE / domain / "templates"
        outside = [name for name in names if not name.startswith(f"{domain}/")]
        assert not outside, f"{folder.relative_to(REPO_ROOT)} holds {outside} outside {domain}/"
    # Every template file of the intake is reachable through one of these folders.
    on_disk = {p.parent.parent for p in INTAKE.glob("*/templates/*")}
    assert on_disk <= {f.parent for f in folders}
