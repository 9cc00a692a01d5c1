"""Our own loggers say every warning, however often: Pelican's de-duplication stays Pelican's.

Importing Pelican (the web's desk preview and the worker import it) makes every logger
made afterwards a ``pelican.log.LimitLogger``, whose filter drops a WARNING (or lower) the
process has logged before, for the process's whole life. In a service that silences the
second "could not preload the live state", the second failed mail, the second anything.
``own_loggers_say_repeats`` keeps that filter on Pelican's loggers only: it removes it from
every other logger made so far and makes loggers made later plain unless they are
Pelican's. It runs once per process, from ``configure_logging``.
"""

from __future__ import annotations

import logging

from pelican import log as pelican_log

PELICAN_LOGGERS = ("pelican",)


def _pelicans(name: str) -> bool:
    return name.split(".", 1)[0] in PELICAN_LOGGERS


class ServiceLogger(pelican_log.FatalLogger):
    """Pelican's logger class (its fatal-level hook kept) whose duplicate filter is on only
    for Pelican's own loggers."""

    def __init__(self, name: str, level: int = logging.NOTSET) -> None:
        super().__init__(name, level)
        if not _pelicans(name):
            self.disable_filter()


def own_loggers_say_repeats() -> None:
    """Take Pelican's duplicate filter off every logger but Pelican's, now and later."""
    logging.setLoggerClass(ServiceLogger)
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, pelican_log.LimitLogger) and not _pelicans(name):
            logger.disable_filter()
    logging.getLogger().removeFilter(pelican_log.LimitLogger.limit_filter)
