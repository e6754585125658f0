"""dockerast's language server: a thin pygls adapter over the dockerast library."""
