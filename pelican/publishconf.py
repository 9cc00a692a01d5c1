"""Pelican settings for production: pelicanconf.py plus what production changes."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402,F403

RELATIVE_URLS = False
# FEED_DOMAIN is left unset on purpose: Pelican then uses SITEURL, which the build
# code overrides with the deployment's public origin (e.g. https://hiroba.example.jp).
DELETE_OUTPUT_DIRECTORY = False
