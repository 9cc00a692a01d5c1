"""GET /healthz and /metrics, and each request's id for the logs.

/healthz answers everyone with states and ages (no personal data). Its status code is for a
load balancer: 503 only when this host cannot reach the database (it can serve no form).
A silent worker, a stale owed task or a Redis outage are no single web host's fault: taking
every host out for them would take the whole site down, so they answer 200 with
"status": "degraded" and the details. /healthz?strict=1 is for monitoring: 503 for any of
them too. /metrics answers only
loopback and HIROBA_METRICS_ALLOW; anyone else gets the same 404 as an unknown address.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from ipaddress import ip_address
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..config import Settings
from ..models import utcnow
from ..runtime import Runtime
from ..store import ping
from . import metrics as readings
from . import probes
from .logs import REQUEST_ID

bp = Blueprint("watching", __name__)

# An id nginx passes ($request_id) is kept when it looks like one; otherwise we make one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def _runtime() -> Runtime:
    return current_app.extensions["hiroba.runtime"]  # type: ignore[no-any-return]


def _iso(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    rt = _runtime()
    settings = rt.settings
    now = utcnow()
    database = ping(rt.engine)
    body: dict[str, Any] = {"database": "ok" if database else "unavailable"}
    work = True  # the deployment's work: the worker heartbeats and owed tasks are on time
    if database:
        try:
            with rt.sessions() as session:
                tasks = probes.owed_tasks(session)
        except SQLAlchemyError:
            database, body["database"] = False, "unavailable"
        else:
            age = tasks.oldest_age(now)
            stale = age >= settings.owed_task_seconds
            work = not stale
            body["tasks"] = {
                "status": "stale" if stale else "ok",
                "owed": tasks.pending,
                "failed": tasks.failed,
                "oldest_age_seconds": int(age),
                "limit_seconds": settings.owed_task_seconds,
            }
    try:
        redis = bool(rt.redis.ping())
        workers = probes.workers(rt)
    except RedisError:
        redis = False
    body["redis"] = "ok" if redis else "unavailable"
    if redis:
        silent = workers.silent(now, settings.worker_silence_seconds)
        work = work and not silent
        seconds = workers.silent_seconds(now)
        body["worker"] = {
            "status": "silent" if silent else "ok",
            "workers": workers.count,
            "last_heartbeat": _iso(workers.last_heartbeat),
            "silent_seconds": None if seconds is None else int(seconds),
            "limit_seconds": settings.worker_silence_seconds,
        }
    everything = database and redis and work
    body["status"] = "ok" if everything else ("degraded" if database else "failing")
    strict = request.args.get("strict") == "1"
    return jsonify(body), 200 if (everything if strict else database) else 503


def metrics_allowed(settings: Settings, address: str | None) -> bool:
    """Loopback, or an address within HIROBA_METRICS_ALLOW."""
    try:
        client = ip_address(address or "")
    except ValueError:
        return False
    if client.is_loopback:
        return True
    return any(client in network for network in settings.metrics_allow)


@bp.route("/metrics")
def metrics() -> Response:
    rt = _runtime()
    if not metrics_allowed(rt.settings, request.remote_addr):
        abort(404)
    response = Response(readings.render(rt), mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


def _start_request() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _tag_response(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context (a streamed body)
            REQUEST_ID.reset(token)


def install(app: Flask) -> None:
    """Give every request an id (logged with each line, sent back as X-Request-ID)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_tag_response)
    app.teardown_request(_end_request)
    app.register_blueprint(bp)
