"""Flask's session kept server-side in Redis: the cookie carries only a random session id.

The id is never taken from the visitor: an unknown id gets a fresh one (no fixation), and
`rotate()` issues a new id and drops the old data at sign-in and at the second step.

While Redis is unreachable nobody can be signed in, but the public forms must keep
working (submissions are stored in the database, not in Redis). For that case only, an
anonymous session (its CSRF token, nothing else) travels in a signed cookie; it is
moved into Redis as soon as Redis answers again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeSerializer
from redis import Redis
from redis.exceptions import RedisError
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from ..accounts import sessions as store

log = logging.getLogger(__name__)

PRODUCTION_COOKIE = "__Host-hiroba_session"
DEVELOPMENT_COOKIE = "hiroba_session"
# The only keys an anonymous session kept in a signed cookie (Redis down) may carry.
DEGRADED_KEYS = frozenset({"csrf_token", "_flashes"})
_DEGRADED_MARK = "."  # session ids are url-safe base64 without dots; signed values have them


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request: its data, its id and what must happen to it on save."""

    def __init__(
        self,
        data: dict[str, Any] | None,
        session_id: str,
        stored: store.StoredSession | None = None,
    ) -> None:
        def on_update(_: CallbackDict[str, Any]) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(data or {}, on_update)
        self.session_id = session_id
        self.stored = stored  # None: not in Redis (yet)
        self.new = stored is None
        self.modified = False
        self.accessed = False
        self.dropped: list[tuple[str, Any]] = []

    def rotate(self) -> None:
        """Issue a fresh id and drop the old session's data (sign-in, second step)."""
        if self.stored is not None:
            self.dropped.append((self.session_id, self.get("account_id")))
        self.clear()
        self.session_id = store.new_session_id()
        self.stored = None
        self.new = True
        self.modified = True

    def end(self) -> None:
        """Forget the session here and in Redis (signing out)."""
        self.rotate()


class RedisSessionInterface(SessionInterface):
    """Keeps sessions in Redis under random ids, with idle and absolute timeouts."""

    def __init__(self, redis: Redis, prefix: str, policy: store.SessionPolicy) -> None:
        self.redis = redis
        self.prefix = prefix
        self.policy = policy

    def _degraded(self, app: Flask) -> URLSafeSerializer:
        return URLSafeSerializer(app.secret_key, salt="hiroba-session-without-redis")  # type: ignore[arg-type]

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        cookie = request.cookies.get(self.get_cookie_name(app), "")
        if _DEGRADED_MARK in cookie:
            try:
                data = self._degraded(app).loads(cookie)
            except BadSignature:
                data = {}
            kept = {k: v for k, v in dict(data).items() if k in DEGRADED_KEYS}
            session = ServerSession(kept, store.new_session_id())
            session.modified = bool(kept)  # move it into Redis when Redis answers
            return session
        if cookie:
            try:
                stored = store.load(self.redis, self.prefix, cookie, policy=self.policy)
            except RedisError as exc:
                log.warning("sessions unavailable: %s", type(exc).__name__)
                stored = None
            if stored is not None:
                return ServerSession(stored.data, cookie, stored)
        return ServerSession(None, store.new_session_id())

    def save_session(  # type: ignore[override]
        self, app: Flask, session: ServerSession, response: Response
    ) -> None:
        name = self.get_cookie_name(app)
        try:
            for old_id, account_id in session.dropped:
                store.delete(self.redis, self.prefix, old_id, account_id)
        except RedisError as exc:
            log.warning("could not delete a session: %s", type(exc).__name__)
        if session.accessed or session.modified:
            response.vary.add("Cookie")
        if not session:
            if session.dropped or (session.stored is not None and session.modified):
                if session.stored is not None:
                    self._delete_quietly(session)
                response.delete_cookie(name, path="/", domain=None, secure=self._secure(app))
            return
        try:
            if session.modified or session.stored is None:
                stored = session.stored or store.StoredSession()
                stored.data = dict(session)
                store.save(self.redis, self.prefix, session.session_id, stored, self.policy)
            else:
                if not session.stored.touched:
                    store.touch(
                        self.redis, self.prefix, session.session_id, session.stored, self.policy
                    )
                return
        except RedisError as exc:
            log.warning("sessions unavailable: %s", type(exc).__name__)
            self._save_degraded(app, session, response)
            return
        if session.new:
            self._set_cookie(app, response, session.session_id)

    def _delete_quietly(self, session: ServerSession) -> None:
        account_id = session.stored.data.get("account_id") if session.stored else None
        try:
            store.delete(self.redis, self.prefix, session.session_id, account_id)
        except RedisError as exc:
            log.warning("could not delete a session: %s", type(exc).__name__)

    def _save_degraded(self, app: Flask, session: ServerSession, response: Response) -> None:
        """Keep an anonymous session's CSRF token in a signed cookie while Redis is down."""
        kept = {k: v for k, v in session.items() if k in DEGRADED_KEYS}
        if kept and len(kept) == len(session):
            self._set_cookie(app, response, self._degraded(app).dumps(kept))

    def _secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def _set_cookie(self, app: Flask, response: Response, value: str) -> None:
        # No Expires: a browser-session cookie; the server decides when the session ends.
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            path="/",
            domain=None,
            secure=self._secure(app),
            httponly=True,
            samesite="Lax",
        )
