"""What the content-sync and two-host tests share: a second host on the first one's database
and Redis, and the comparison of a published site with a full build of the same content."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from conftest import Instance

from intake.config import Settings
from intake.runtime import Runtime


def second_host(first: Instance, folder: Path, extra: dict[str, str] | None = None) -> Instance:
    """Return another host: its own HIROBA_HOME under folder, the first host's database,
    Redis (and prefix) and a copy of its key files. The caller closes its rt."""
    env = {**first.env, "HIROBA_HOME": str(folder / "instance"), **(extra or {})}
    settings = Settings.from_env(env)
    shutil.copytree(first.settings.keys_dir, settings.keys_dir)
    return Instance(
        env=env,
        settings=settings,
        rt=Runtime.from_settings(settings),
        redis_server=first.redis_server,
    )


def site_tree(root: Path) -> dict[str, bytes]:
    """Return {path: bytes} of every file of a built site."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def content_posts(settings: Settings) -> dict[str, bytes]:
    """Return {file name: bytes} of the post files in a host's content/."""
    folder = settings.content_dir / "posts"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.md"))}


def differences(site: dict[str, bytes], full: dict[str, bytes]) -> list[str]:
    """Return the paths where a published site and a full build differ (Pagefind compared
    by what it holds: its chunks come out in another order on every run)."""

    def pages(tree: dict[str, bytes]) -> list[bytes]:
        return sorted(
            gzip.decompress(data)
            for rel, data in tree.items()
            if rel.startswith("pagefind/fragment/")
        )

    def rest(tree: dict[str, bytes]) -> dict[str, bytes]:
        return {rel: data for rel, data in tree.items() if not rel.startswith("pagefind/")}

    found = [] if pages(site) == pages(full) else ["pagefind/fragment/*"]
    mine, theirs = rest(site), rest(full)
    found += sorted(set(mine) ^ set(theirs))
    found += [rel for rel in sorted(set(mine) & set(theirs)) if mine[rel] != theirs[rel]]
    return found


def same_as_full_build(host: Instance, folder: Path) -> dict[str, bytes]:
    """Assert a host's live site equals a full build of its content; return the live tree."""
    from worker.build.full import build_site

    build_site(host.settings, folder)
    live = site_tree(host.settings.live_dir.resolve())
    assert differences(live, site_tree(folder)) == []
    return live
