"""The HTTP service: `can_contact()` and the ledger for callers in any language."""
