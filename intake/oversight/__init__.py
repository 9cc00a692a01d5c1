"""Ward staff's oversight: figures and the audit report, never personal data."""
