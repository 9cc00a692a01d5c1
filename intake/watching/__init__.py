"""Watching: logging, /healthz and /metrics, and the incidents `hiroba watch` mails about."""
