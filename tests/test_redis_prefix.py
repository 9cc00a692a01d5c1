"""HIROBA_REDIS_PREFIX: two instances share one Redis, and neither sees the other's keys or jobs."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from actors import new_post, open_group, sign_in
from conftest import Instance, RedisServer, instance_env
from redis import Redis

from intake import redis_keys
from intake.config import Settings
from intake.crypto import create_keys
from intake.errors import ConfigError
from intake.moderation import decisions as post_decisions
from intake.runtime import Runtime
from intake.store import migrate
from intake.web import create_app

PREFIXES = ("hiroba", "staging")
# rq's own keys: rq has no global prefix; the queue name (or job id) is their last part.
RQ_QUEUE_KEYS = ("rq:queue:", "rq:wip:", "rq:finished:", "rq:failed:", "rq:deferred:")
RQ_QUEUE_KEYS += ("rq:scheduled:", "rq:canceled:", "rq:started:", "rq:clean_registries:")


def test_every_key_family_starts_with_the_prefix() -> None:
    for name, function in inspect.getmembers(redis_keys, inspect.isfunction):
        extra = [f"x{n}" for n in range(len(inspect.signature(function).parameters) - 1)]
        assert function("pfx", *extra).startswith("pfx"), name


def test_a_bad_prefix_or_the_old_queue_setting_is_refused() -> None:
    assert Settings.from_env({"HIROBA_REDIS_PREFIX": "staging"}).queue_name == "staging"
    with pytest.raises(ConfigError, match="HIROBA_REDIS_PREFIX"):
        Settings.from_env({"HIROBA_REDIS_PREFIX": "a b"})
    with pytest.raises(ConfigError, match="HIROBA_REDIS_PREFIX"):
        Settings.from_env({"HIROBA_QUEUE": "hiroba"})


@pytest.fixture
def pair(tmp_path: Path, redis_server: RedisServer) -> Iterator[list[Instance]]:
    """Two instances (own SQLite database and home) on the session's one private Redis."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    Redis.from_url(redis_server.url).flushall()  # our private server, never the machine's
    made = []
    for prefix in PREFIXES:
        home = tmp_path / prefix
        env = instance_env(home, f"sqlite:///{home / 'instance' / 'hiroba.db'}", redis_server.url)
        env["HIROBA_REDIS_PREFIX"] = prefix
        settings = Settings.from_env(env)
        create_keys(settings.keys_dir)
        migrate(settings.database_url)
        rt = Runtime.from_settings(settings)
        made.append(Instance(env=env, settings=settings, rt=rt, redis_server=redis_server))
    yield made
    for instance in made:
        instance.rt.close()


def _approve_and_sign_in(instance: Instance) -> int:
    """A group's post approved by a moderator, and the group signed in through the web."""
    moderator, group = open_group(instance)
    post_id = new_post(instance, group, 1)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    sign_in(create_app(instance.settings, runtime=instance.rt).test_client(), *_GROUP)
    return post_id


_GROUP = ("durable-group", "durable-password-1")  # actors.open_group's login


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _keys(redis: Redis) -> list[str]:
    return sorted(key.decode() for key in redis.keys("*"))


def test_two_prefixes_share_one_redis(pair: list[Instance]) -> None:
    first, second = pair
    redis = first.rt.redis
    _approve_and_sign_in(first)
    _approve_and_sign_in(second)
    owed = {i.settings.redis_prefix: set(i.rt.queue.get_job_ids()) for i in pair}
    assert owed["hiroba"] and owed["staging"] and not owed["hiroba"] & owed["staging"]
    assert all(job.startswith("staging-task-") for job in owed["staging"])

    first.worker_burst()  # a real worker of the first instance takes only its own jobs
    assert (first.settings.live_dir / "index.html").exists()
    assert not second.settings.live_dir.exists()
    assert set(second.rt.queue.get_job_ids()) == owed["staging"]
    second.worker_burst()
    assert (second.settings.live_dir / "index.html").exists()

    queues = {q for i in pair for q in (i.settings.queue_name, f"{i.settings.queue_name}-search")}
    ours = [k for k in _keys(redis) if not k.startswith("rq:")]
    assert {k.split(":", 1)[0] for k in ours} == set(PREFIXES), ours
    for prefix in PREFIXES:  # each instance's sessions are under its own prefix
        assert any(k.startswith(f"{prefix}:session:") for k in ours), ours
    for key in _keys(redis):
        if key.startswith(("rq:job:", "rq:results:")):  # a job: its queue is one of ours
            job_id = key.split(":")[2]
            origin = redis.hget(f"rq:job:{job_id}", "origin")
            if origin is not None:
                assert origin.decode() in queues, key
            else:  # the job is gone; its id is ours, or rq's random one (a UUID)
                assert job_id.startswith(tuple(f"{p}-" for p in PREFIXES)) or _is_uuid(job_id)
        elif key.startswith(RQ_QUEUE_KEYS):
            assert key.split(":", 2)[2] in queues, key
        else:  # rq's workers, its list of queues, its scheduler; or ours
            global_rq = ("rq:worker", "rq:queues", "rq:scheduler", "rq:clean_groups")
            assert key.startswith(global_rq) or key in ours, key
