"""In-process moto for the tests: devstack/embedded.py (shared with the benches)."""

from devstack.embedded import clean_tables, embedded_aws, embedded_settings

__all__ = ["clean_tables", "embedded_aws", "embedded_settings"]
