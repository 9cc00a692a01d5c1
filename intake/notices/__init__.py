"""Operator notices (運営からのお知らせ) and the site-wide banner (maintenance, outage...)."""
