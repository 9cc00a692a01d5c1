"""Data protection: keys, audit log, backups, ledger, retention, contract end."""
