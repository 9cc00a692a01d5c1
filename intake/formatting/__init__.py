"""How values are written for people: dates and times, numbers, phone numbers.

The one place that formats them, in Japanese (``ja``) and English (``en``), for the site,
the intake, mails, exports and reports. dates.py and numbers.py import only Babel and the
stdlib, so the Pelican plugins use them too (STYLE.md's one exception for pelican/).
"""
