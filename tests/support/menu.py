"""The catalog most sale tests sell from, written through the catalog service."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from chalicelib.container import get_services


@dataclass
class Menu:
    plato: str  # Silpancho 25.00; recipe: carne 0.25, arroz 0.2
    plato_bar: str  # Limonada 8.00 at the bar; recipe: limon 2
    producto: str  # Coca-Cola 10.00, stock 50
    carne: str
    arroz: str
    limon: str
    tomate: str


def make_menu(tenant: str) -> Menu:
    catalog = get_services().catalog
    carne = catalog.create_ingredient(tenant, {"nombre": "Carne", "unidad": "kg", "cantidad": D("10"), "cantidad_minima": D("1")})
    arroz = catalog.create_ingredient(tenant, {"nombre": "Arroz", "unidad": "kg", "cantidad": D("20"), "cantidad_minima": D("2")})
    limon = catalog.create_ingredient(tenant, {"nombre": "Limón", "unidad": "u", "cantidad": D("100"), "cantidad_minima": D("10")})
    tomate = catalog.create_ingredient(tenant, {"nombre": "Tomate", "unidad": "kg", "cantidad": D("5"), "cantidad_minima": D("1")})
    plato = catalog.create_plato(tenant, {"nombre": "Silpancho", "precio": D("25.00"), "estacion": "cocina"})
    catalog.add_recipe_line(tenant, plato.id, {"ingrediente_id": carne.id, "cantidad": D("0.25")})
    catalog.add_recipe_line(tenant, plato.id, {"ingrediente_id": arroz.id, "cantidad": D("0.2")})
    bar = catalog.create_plato(tenant, {"nombre": "Limonada", "precio": D("8.00"), "estacion": "bar"})
    catalog.add_recipe_line(tenant, bar.id, {"ingrediente_id": limon.id, "cantidad": D("2")})
    producto = catalog.create_product(tenant, {"nombre": "Coca-Cola", "precio": D("10.00"), "stock": 50, "unidad": "botella"})
    return Menu(plato.id, bar.id, producto.id, carne.id, arroz.id, limon.id, tomate.id)


def stock(tenant: str, kind: str, item_id: str) -> D:
    catalog = get_services().catalog
    if kind == "producto":
        return D(catalog.get_product(tenant, item_id).stock)
    return D(catalog.get_ingredient(tenant, item_id).cantidad)
