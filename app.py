"""Comanda's Lambda entry point: wiring only."""

from chalice import Chalice

from chalicelib.api import auth, caja, catalog, usuarios
from chalicelib.observability import http_logging_middleware

app = Chalice(app_name="comanda")

app.register_middleware(http_logging_middleware, "http")

for surface in (auth.surface, usuarios.surface, catalog.surface, caja.surface):
    app.register_blueprint(surface.blueprint)
