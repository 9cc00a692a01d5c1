"""Who is signed in, and the decorator that keeps each role to its own pages."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from ..accounts.models import AccountStatus
from ..models import Account
from ..runtime import Runtime

SECOND_STEP_SECONDS = 300  # the code page stays open this long after the password step


def rt() -> Runtime:
    """Return the app's Runtime."""
    return current_app.extensions["hiroba.runtime"]  # type: ignore[no-any-return]


def secret_key() -> bytes:
    """Return the secret key the app was started with (read from its file once, at start:
    sessions and CSRF tokens are signed with it too), not the file read on every request."""
    return current_app.secret_key  # type: ignore[return-value]


def current_account() -> Account | None:
    """Return the signed-in, still active account, or None."""
    if "me" not in g:
        account = None
        account_id = session.get("account_id")
        if account_id is not None:
            with rt().sessions() as db:
                found = db.get(Account, account_id)
                if found is not None and found.status == AccountStatus.ACTIVE:
                    account = found
        g.me = account
    return g.me  # type: ignore[no-any-return]


def _rotate() -> None:
    """Give the visitor a fresh session id and drop the old session's data."""
    rotate = getattr(session, "rotate", None)
    if rotate is not None:
        rotate()
    else:
        session.clear()


def sign_in(account: Account) -> None:
    """Start a fresh session for account (a new session id, never the visitor's old one)."""
    _rotate()
    session["account_id"] = account.id
    session["role"] = account.kind


def await_second_factor(account_id: int) -> None:
    """Remember, in a fresh session that is not signed in, who passed the password step."""
    _rotate()
    session["pending_account_id"] = account_id
    session["pending_since"] = time.time()


def pending_account_id() -> int | None:
    """Return the account waiting for its second step, if that step is still open."""
    account_id = session.get("pending_account_id")
    since = session.get("pending_since", 0)
    if account_id is None or time.time() - float(since) > SECOND_STEP_SECONDS:
        return None
    return int(account_id)


def sign_out() -> None:
    """End the session here and in the store (the old cookie no longer works)."""
    end = getattr(session, "end", None)
    if end is not None:
        end()
    else:
        session.clear()


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let only signed-in accounts of these roles through; others sign in or get 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            me = current_account()
            if me is None:
                return redirect(url_for("auth.sign_in", next=request.path))
            if me.kind not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
