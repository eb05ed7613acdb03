"""Placeholder: filled in by the catalog work."""

from __future__ import annotations

from chalicelib.api.http import Surface

surface = Surface("catalog")
