"""What the public may read is world-readable, the rest is its owner's: after a real build
and two approved posts with an image and a flyer (the first published by a full build, the
second by the incremental publisher), site/current is 0644 files in 0755 folders, while
uploads/, keys/ and the SQLite database are 0600 files in 0700 folders.

The worker is started under a strict login mask (077, as on a hardened host): it sets the
mask the systemd units set too (UMask=0022, intake/deploy/files) itself.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from actors import make_moderator, open_group
from conftest import Instance
from uploads_support import publish_post_with_files


@pytest.fixture
def strict_umask() -> Iterator[None]:
    previous = os.umask(0o077)  # the worker processes the test starts inherit it
    yield
    os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    """Return {path under root: permission bits} of root and everything below it."""
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode)
        for path in (root, *root.rglob("*"))
    }


def test_public_files_are_world_readable_and_private_ones_are_not(
    instance: Instance, client, strict_umask: None
) -> None:
    open_group(instance)
    make_moderator(instance)
    posts = [publish_post_with_files(instance, client, "川辺の写真展") for _ in range(2)]
    settings = instance.settings
    live = settings.live_dir.resolve()
    for post_id in posts:
        assert {p.suffix for p in (live / "media" / str(post_id)).iterdir()} == {".webp", ".pdf"}

    public = _modes(live)
    wrong = {
        rel: oct(mode)
        for rel, mode in public.items()
        if mode != (0o755 if (live / rel).is_dir() else 0o644)
    }
    assert not wrong, f"not 0644/0755 in site/current: {wrong}"
    assert {".ics", ".webp", ".pdf", ".html", ".xml"} <= {Path(rel).suffix for rel in public}
    for folder in (settings.home, settings.site_dir, settings.builds_dir):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o005 == 0o005, folder  # nginx passes

    uploads = settings.home / "uploads"
    private = {f"uploads/{rel}": mode for rel, mode in _modes(uploads).items()}
    private |= {f"keys/{rel}": mode for rel, mode in _modes(settings.keys_dir).items()}
    if settings.is_sqlite:
        for database in settings.home.glob("hiroba.db*"):
            private[database.name] = stat.S_IMODE(database.stat().st_mode)
        assert "hiroba.db" in private
    assert any(rel.endswith(".webp") for rel in private)
    open_to_others = {rel: oct(mode) for rel, mode in private.items() if mode & 0o077}
    assert not open_to_others, f"private files readable by others: {open_to_others}"
