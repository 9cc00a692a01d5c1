"""Applications to events: the form, allocation, links, questions, organizers' pages."""
