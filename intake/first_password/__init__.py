"""The first password: an account whose password someone else chose sets its own first."""
