"""The office's records: the kernel's tables that hold no sealed (`*_enc`) column."""
