"""A bare Flask endpoint: the yardstick the apply endpoint's throughput is compared with."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"
