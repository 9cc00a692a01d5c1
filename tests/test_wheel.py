"""The wheel: built from a copy of the checkout, installed in a fresh venv outside it, and run
from there (init, demo, worker, build) with no checkout on sys.path.

The fresh venv gets its dependencies from this venv's site-packages through a .pth line
(no download; a .pth line adds a folder without running that folder's own .pth files, so
this checkout's editable install stays out), and Hiroba itself from the wheel only.
"""

from __future__ import annotations

import gettext
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import RedisServer, cli_in_japanese
from personal_data import ok

from intake.config import REPO_ROOT

pytestmark = pytest.mark.slow

# Files of the checkout that are sources or notes, not something an installed Hiroba reads.
NOT_SHIPPED = {"README.md", "babel.cfg"}  # babel.cfg: `make messages` only
SITE_FOLDERS = ("content/pages", "theme", "pelican", "migrations")
# Left out of the copy the wheel is built from: at the top only (worker/build/ is code) ...
TOP_IGNORED = {".git", ".venv", "build", "dist", "instance", "output", "node_modules"}
# ... and anywhere.
IGNORED = shutil.ignore_patterns(
    "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.mo"
)


def copy_ignore(folder: str, names: list[str]) -> set[str]:
    top = TOP_IGNORED.intersection(names) if Path(folder) == REPO_ROOT else set()
    return top | IGNORED(folder, names)


@dataclass
class Installed:
    """A fresh venv with the wheel installed, and the wheel it came from."""

    wheel: Path
    python: Path
    hiroba: Path
    packages: Path


def files_under(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def run(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return ok(subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kwargs))  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # setuptools writes build/ and *.egg-info beside its sources
    shutil.copytree(REPO_ROOT, source, ignore=copy_ignore, symlinks=True)
    out = root / "dist"
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", out, source, timeout=600,
    )  # fmt: skip
    (wheel,) = out.glob("hiroba-*.whl")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, timeout=120)
    python = venv / "bin" / "python"
    packages = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (packages / "hiroba-dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        wheel, timeout=300,
    )  # fmt: skip
    yield Installed(wheel=wheel, python=python, hiroba=venv / "bin" / "hiroba", packages=packages)


def shipped(folder: str, installed_as: str) -> set[str]:
    """Return the wheel names the files of a checkout folder must have: every file but
    the notes, a catalog's .po as its compiled .mo, Python of the intake as it is."""
    found = set()
    for name in files_under(REPO_ROOT / folder):
        if Path(name).name in NOT_SHIPPED or name.endswith(".mo"):
            continue
        if name.endswith(".po"):
            name = name.removesuffix(".po") + ".mo"
        found.add(f"{installed_as}/{name}")
    return found


def test_the_wheel_holds_every_file_hiroba_reads(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        intake_en = wheel.read("intake/translations/en/LC_MESSAGES/messages.mo")
        theme_en = wheel.read("hiroba_site/theme/translations/en/LC_MESSAGES/messages.mo")
    wanted = shipped("intake", "intake") | shipped("worker", "worker")
    for folder in SITE_FOLDERS:
        wanted |= shipped(folder, f"hiroba_site/{folder}")
    assert sorted(wanted - names) == []
    assert [n for n in names if n.startswith("intake/web/templates/")]
    # The catalogs ship compiled, when the wheel was built, and their sources do not.
    assert not [n for n in names if n.endswith(".po")]
    assert gettext.GNUTranslations(io.BytesIO(intake_en)).gettext("個人で登録") == (
        "Register as an individual"
    )
    assert gettext.GNUTranslations(io.BytesIO(theme_en)).gettext("日時") == "Date and time"
    # Nothing installs at the top of site-packages under the Pelican library's name.
    tops = {n.split("/")[0] for n in names}
    assert tops == {"intake", "worker", "hiroba_site", "hiroba-0.1.0.dist-info"}
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "/README.md"))]


def test_init_demo_worker_and_build_from_the_installed_wheel(
    installed: Installed, redis_server: RedisServer, tmp_path: Path
) -> None:
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    before = files_under(installed.packages / "intake") | files_under(
        installed.packages / "hiroba_site"
    )
    elsewhere = tmp_path / "elsewhere"  # no checkout here or above
    elsewhere.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HIROBA_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        {
            "HIROBA_HOME": str(tmp_path / "home"),
            "HIROBA_REDIS_URL": redis_server.url,
            "HIROBA_REDIS_PREFIX": f"wheel{uuid.uuid4().hex[:8]}",
            "HIROBA_SMTP_HOST": "",
        }
    )
    cli_in_japanese(env)

    def hiroba(*argv: str) -> subprocess.CompletedProcess[str]:
        return run(installed.hiroba, *argv, env=env, cwd=elsewhere, timeout=900)

    where = run(
        installed.python,
        "-c",
        "import intake, worker; from intake.installation.resources import site_root;"
        "print(intake.__file__); print(worker.__file__); print(site_root())",
        env=env,
        cwd=elsewhere,
        timeout=120,
    ).stdout.split()
    assert [Path(p).is_relative_to(installed.packages) for p in where] == [True, True, True]
    assert not [p for p in where if Path(p).is_relative_to(REPO_ROOT)]

    assert hiroba("--version").stdout.strip() == "hiroba 0.1.0"
    assert "インスタンスの準備ができました" in hiroba("init").stdout
    assert "データベースはすでに最新のリビジョン" in hiroba("migrate").stdout
    # The wheel's compiled catalogs: the CLI in English, argparse's words in Japanese.
    in_english = {**env, "LANG": "en"}
    migrated = run(installed.hiroba, "migrate", env=in_english, cwd=elsewhere, timeout=120)
    assert "already at revision" in migrated.stdout
    assert hiroba("--help").stdout.startswith("使い方: hiroba")
    nginx = hiroba("deploy", "nginx", "--server-name", "hiroba.example.jp").stdout
    assert f"{env['HIROBA_HOME']}/site/current" in nginx  # intake/deploy/templates, shipped
    hiroba("demo")
    hiroba("worker", "--burst")
    built = hiroba("build")
    live = Path(env["HIROBA_HOME"]) / "site" / "current"
    assert built.stdout.strip().splitlines()[-1].endswith(str(live))
    events = sorted(live.glob("events/*/index.html"))
    assert len(events) >= 10, "the demo's events were not published"
    assert '<html lang="ja"' in events[0].read_text(encoding="utf-8")
    english_events = sorted(live.glob("en/events/*/index.html"))
    assert english_events, "no English event page"
    # The theme's English catalog, compiled into the wheel.
    assert any("Date and time" in p.read_text(encoding="utf-8") for p in english_events)
    assert (live / "theme" / "css" / "site.css").is_file()
    assert (live / "pages" / "about" / "index.html").is_file()

    english = run(
        installed.python,
        "-c",
        "from intake.web import create_app; c = create_app().test_client();"
        "print(c.get('/app/register?lang=en').get_data(as_text=True))",
        env=env,
        cwd=elsewhere,
        timeout=120,
    ).stdout
    assert "Register as an individual" in english

    after = files_under(installed.packages / "intake") | files_under(
        installed.packages / "hiroba_site"
    )
    assert sorted(after - before) == [], "running Hiroba wrote into its installed code"
