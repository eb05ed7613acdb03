"""The audit trail (issue 9): voids, item removals, reopenings, caja closes and arqueos, price
changes and user changes, with who, when, what and which request; per tenant; admins only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.container import get_services
from chalicelib.domain.clock import iso, utc_now
from devstack.world import denominations
from tests.support.api import Api, TenantWorld

COUNTS = denominations(b100=2)


def trail(api: Api, world: TenantWorld, query: str = "") -> list[dict[str, Any]]:
    reply = api.as_(world.tokens["admin"]).get(f"/api/auditoria{query}")
    assert reply.status == 200, reply
    return list(reply.body)


def actions(entries: list[dict[str, Any]]) -> list[str]:
    return [e["accion"] for e in entries]


def test_sale_voids_item_removals_and_reopenings_are_recorded_with_who_and_the_request(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    admin = api.as_(alpha.tokens["admin"])
    assert cashier.post("/api/caja/abrir", COUNTS).status == 201
    producto = admin.post("/api/productos", {"nombre": "Cola", "precio": "10.00", "stock": 50, "unidad": "u"}).body
    tx = cashier.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 1"}).body
    keep = cashier.post(f"/api/transacciones/{tx['id']}/items", {"producto_id": producto["id"], "cantidad": 1}).body
    drop = cashier.post(f"/api/transacciones/{tx['id']}/items", {"producto_id": producto["id"], "cantidad": 2}).body
    assert cashier.delete(f"/api/transacciones/{tx['id']}/items/{drop['id']}").status == 200
    assert cashier.post(f"/api/transacciones/{tx['id']}/pagos", {"metodo_pago": "efectivo", "monto": "10.00",
                                                                 "monto_recibido": "10.00"}).status == 201
    assert cashier.get(f"/api/transacciones/{tx['id']}").body["estado"] == "cerrado", keep
    assert cashier.post(f"/api/transacciones/{tx['id']}/reabrir").status in (200, 201)
    assert cashier.delete(f"/api/transacciones/{tx['id']}").status == 200

    entries = [e for e in trail(api, alpha) if e["objetivo"] == f"transaccion:{tx['id']}"]
    assert actions(entries) == ["transaccion.anulada", "transaccion.reabierta", "transaccion.item_eliminado"]
    voided, _, removed = entries
    assert removed["detalle"]["item_id"] == str(drop["id"]) and removed["detalle"]["cantidad"] == "2"
    assert voided["detalle"]["pagos_devueltos"] == "10.00"
    cashier_id = str(next(u["id"] for u in admin.get("/api/usuarios").body if u["nombre_usuario"] == "cajero1"))
    assert {e["usuario_id"] for e in entries} == {cashier_id}
    assert {e["usuario_nombre"] for e in entries} == {"Cajero"}
    assert all(e["request_id"] for e in entries) and len({e["request_id"] for e in entries}) == 3


def test_caja_arqueos_and_closes_are_recorded(api: Api, alpha: TenantWorld) -> None:
    cashier = api.as_(alpha.tokens["cajero"])
    caja = cashier.post("/api/caja/abrir", COUNTS).body
    assert cashier.patch(f"/api/caja/{caja['id']}/arqueo", denominations(b100=1)).status == 200
    assert cashier.post("/api/caja/cerrar", {**COUNTS, "cierre_obs": "todo bien"}).status == 200
    entries = [e for e in trail(api, alpha) if e["objetivo"] == f"caja:{caja['id']}"]
    assert actions(entries) == ["caja.cerrada", "caja.arqueo"]
    assert entries[0]["detalle"]["estado_diferencia"] == "exacto" and entries[0]["detalle"]["observacion"] == "todo bien"
    assert entries[1]["detalle"]["diferencia"] == "-100.00"


def test_price_changes_are_recorded_and_other_catalog_edits_are_not(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    plato = admin.post("/api/platos", {"nombre": "Pique", "precio": "30.00"}).body
    assert admin.patch(f"/api/platos/{plato['id']}", {"nombre": "Pique macho"}).status == 200
    assert admin.patch(f"/api/platos/{plato['id']}", {"precio": "35.50"}).status == 200
    entries = [e for e in trail(api, alpha) if e["objetivo"] == f"plato:{plato['id']}"]
    assert actions(entries) == ["catalogo.precio_cambiado"]
    assert entries[0]["detalle"] == {"nombre": "Pique macho", "precio_anterior": "30.00", "precio_nuevo": "35.50"}


def test_user_changes_are_recorded_without_secrets(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    created = admin.post("/api/usuarios", {"nombre": "Ana", "nombre_usuario": "ana", "contrasena": "Secreta123!", "rol": "mesero"})
    user_id = created.body["id"]
    assert admin.patch(f"/api/usuarios/{user_id}", {"rol": "cajero", "contrasena": "Otra1234!"}).status == 200
    assert admin.delete(f"/api/usuarios/{user_id}").status == 200
    entries = [e for e in trail(api, alpha) if e["objetivo"] == f"usuario:{user_id}"]
    assert actions(entries) == ["usuario.eliminado", "usuario.modificado", "usuario.creado"]
    assert entries[1]["detalle"] == {"nombre_usuario": "ana", "rol": "mesero -> cajero", "contrasena": "restablecida"}
    assert entries[2]["usuario_nombre"] == "Administrador"
    assert "Secreta" not in str(entries) and "Otra1234" not in str(entries) and "scrypt" not in str(entries)


def test_the_trail_is_filtered_by_desde_and_hasta_and_limit(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    plato = admin.post("/api/platos", {"nombre": "Sopa", "precio": "5.00"}).body
    for precio in ("6.00", "7.00", "8.00"):
        assert admin.patch(f"/api/platos/{plato['id']}", {"precio": precio}).status == 200
    now = utc_now()
    assert len(trail(api, alpha, f"?desde={iso(now - timedelta(minutes=5))}&hasta={iso(now + timedelta(minutes=1))}")) >= 3
    assert trail(api, alpha, f"?desde={iso(now + timedelta(minutes=1))}&hasta={iso(now + timedelta(minutes=2))}") == []
    assert trail(api, alpha, f"?hasta={iso(now - timedelta(days=1))}") == []
    today = now.date().isoformat()
    assert len(trail(api, alpha, f"?desde={today}&hasta={today}")) >= 3
    assert len(trail(api, alpha, "?limit=2")) == 2
    for bad in ("?desde=ayer", "?desde=2026-03-02&hasta=2026-03-01", "?limit=0", "?usuario=1"):
        assert admin.get(f"/api/auditoria{bad}").status == 400, bad


def test_only_admins_read_the_trail_and_each_tenant_sees_only_its_own(api: Api, alpha: TenantWorld, beta: TenantWorld) -> None:
    for role in ("cajero", "mesero", "cocina", "repartidor"):
        assert api.as_(alpha.tokens[role]).get("/api/auditoria").status == 403
    api.as_(alpha.tokens["admin"]).post("/api/usuarios", {"nombre": "Alfa", "nombre_usuario": "solo_alfa", "contrasena": "Secreta123!",
                                                          "rol": "mesero"})
    assert "solo_alfa" not in str(trail(api, beta))


def test_entries_expire_after_the_configured_retention() -> None:
    audit = get_services().audit
    entry = audit.entry("alpha", "caja.cerrada", "caja:1")
    assert entry.expires_at - int(entry.at.timestamp()) == get_services().settings.audit_retention_days * 86400
    assert (entry.actor_id, entry.actor_name) == ("sistema", "sistema")
