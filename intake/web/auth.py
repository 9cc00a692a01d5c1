"""Who is signed in, and the decorator that keeps each role to its own pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, g, redirect, request, session, url_for

from ..models import Account
from ..runtime import Runtime


def rt() -> Runtime:
    """Return the app's Runtime."""
    return current_app.extensions["hiroba.runtime"]  # type: ignore[no-any-return]


def current_account() -> Account | None:
    """Return the signed-in, still active account, or None."""
    if "me" not in g:
        account = None
        account_id = session.get("account_id")
        if account_id is not None:
            with rt().sessions() as db:
                found = db.get(Account, account_id)
                if found is not None and found.status == "active":
                    account = found
        g.me = account
    return g.me  # type: ignore[no-any-return]


def sign_in(account: Account) -> None:
    """Start a fresh session for account (a new session, never the visitor's old one)."""
    session.clear()
    session["account_id"] = account.id
    session["role"] = account.kind


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
