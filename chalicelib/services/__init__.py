"""Use cases: one call per request, orchestrating the domain and the repositories."""
