"""Posts: submitting, editing and withdrawing events, recruitment and notices."""
