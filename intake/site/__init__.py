"""The live site from the intake: takedown, old content, the status panel."""
