"""gunicorn's logger for `hiroba web`: Hiroba's format for its own lines and the access log,
with the tokens in URL paths and the query strings' values redacted before they are written."""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from .logs import HirobaFormatter, configure_logging, redact, wants_json

# The access line (gunicorn's atoms): method, path, status, seconds, and the request's id.
ACCESS_FORMAT = '"%(m)s %(U)s" %(s)s %(L)ss %({x-request-id}o)s'


class GunicornLogger(glogging.Logger):
    """gunicorn's Logger, writing through Hiroba's formatter and redacting every atom."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        configure_logging()  # the app's own loggers, in the master before the workers fork
        formatter = HirobaFormatter(wants_json())
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        found = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in found.items()}

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms_wrapper_class(self.atoms(resp, req, environ, request_time))
        http = {
            "method": atoms["m"],
            "path": atoms["U"],
            "status": atoms["s"],
            "seconds": float(atoms["L"]),
        }
        request_id = atoms["{x-request-id}o"]
        try:
            self.access_log.info(
                self.cfg.access_log_format,
                atoms,
                extra={"http": http, "request_id": "" if request_id == "-" else request_id},
            )
        except Exception as exc:  # gunicorn's own habit: a bad format must not stop serving
            self.error("access log line not written (%s)", type(exc).__name__)
