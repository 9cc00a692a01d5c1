"""GET /healthz: the state of the database and Redis, as JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from ..store import ping
from .auth import rt

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    runtime = rt()
    database = ping(runtime.engine)
    try:
        redis = bool(runtime.redis.ping())
    except RedisError:
        redis = False
    body = {
        "status": "ok" if database and redis else "degraded",
        "database": "ok" if database else "unavailable",
        "redis": "ok" if redis else "unavailable",
    }
    return jsonify(body), 200 if database else 503
