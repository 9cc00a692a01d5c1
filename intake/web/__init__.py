"""The Flask intake app: forms, sign-in and the moderation UI (never imports worker)."""

from .app import create_app

__all__ = ["create_app"]
