"""One screen per state of the resident's journey."""
