"""Cross-build rules of our own: platform pinning, ARG placement, wrong-architecture outputs."""

RULES = ()
