"""Placeholder: filled in by the caja work."""

from __future__ import annotations

from chalicelib.api.http import Surface

surface = Surface("caja")
