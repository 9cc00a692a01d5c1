"""Hiroba as installed: where its own files live and the operator's check of an instance."""
