"""What the wheel holds: the intake and worker packages, and the site's files as ``hiroba_site``.

A checkout keeps the site's files at the top (content/, theme/, pelican/, migrations/). A wheel
installs them under one data package, ``hiroba_site/<the same folder>``, so nothing installed
is named ``pelican`` at the top of site-packages (it would shadow the Pelican library);
intake/resources.py finds them in either layout. The English catalogs (intake and theme) are
compiled here, into the wheel, so an installed Hiroba never writes into its own code.
The project's metadata and dependencies are in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SITE_PACKAGE = "hiroba_site"
# Installed package -> checkout folder, for every folder of site files.
SITE_FOLDERS = {
    f"{SITE_PACKAGE}.{folder}": folder for folder in ("content", "theme", "pelican", "migrations")
}
SITE_DATA = {
    f"{SITE_PACKAGE}.content": ["pages/*.md"],
    f"{SITE_PACKAGE}.theme": ["templates/**/*", "static/**/*"],
    f"{SITE_PACKAGE}.migrations": ["script.py.mako"],
}
# Pages (templates of the app and of each domain), static files, data, the server's files
# `hiroba deploy` fills in.
INTAKE_DATA = ["**/templates/**/*", "web/static/**/*", "data/*.txt", "deploy/files/*"]
# Gettext catalogs: the committed .po files (checkout folder) and where their compiled .mo
# files go in the wheel. The wheel holds no .po.
CATALOGS = {
    "intake/translations": "intake/translations",
    "theme/translations": f"{SITE_PACKAGE}/theme/translations",
}


def folder_packages(package: str, folder: str) -> dict[str, str]:
    """Return {package: folder} for folder and each of its sub-folders.

    Every folder is a package to setuptools, data-only ones too (templates, static files,
    catalogs); naming each keeps them in the wheel without "would be ignored" warnings.
    """
    found = {package: folder}
    for sub in find_namespace_packages(where=str(HERE / folder), exclude=["*__pycache__*"]):
        found[f"{package}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
    return found


class BuildWithCatalogs(build_py):
    """build_py that also compiles the .po catalogs into .mo files in the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # a checkout compiles at start, outside its tree
            return
        for source, built in CATALOGS.items():
            for po in sorted((HERE / source).glob("*/LC_MESSAGES/*.po")):
                target = Path(self.build_lib, built, po.relative_to(HERE / source))
                self._compile(po, target.with_suffix(".mo"))

    @staticmethod
    def _compile(po: Path, target: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        with target.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


SITE = {
    name: path
    for package, folder in SITE_FOLDERS.items()
    for name, path in folder_packages(package, folder).items()
}
CODE = find_namespace_packages(include=["intake", "intake.*", "worker", "worker.*"])
setup(
    packages=[*(name for name in CODE if "__pycache__" not in name), *SITE],
    package_dir=SITE,
    package_data={"intake": INTAKE_DATA, **SITE_DATA},
    # Only what package_data names: a .po is a source, the wheel holds its .mo.
    include_package_data=False,
    cmdclass={"build_py": BuildWithCatalogs},
)
