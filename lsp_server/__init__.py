"""The dockerast language server."""
