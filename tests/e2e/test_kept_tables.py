"""`make run` keeps the day: the tables survive Ctrl-C and a restart; FRESH=1 starts empty."""

from __future__ import annotations

from pathlib import Path

from devstack.world import complete_sale, open_caja, platos
from tests.e2e.harness import RunningStack, launch_stack


def kept_stack(data_dir: Path, *more: str) -> RunningStack:
    return launch_stack(args=["--data-dir", str(data_dir), "--save-every", "3600", *more])


def test_sales_cajas_and_users_survive_a_ctrl_c_and_a_restart(tmp_path: Path) -> None:
    first = kept_stack(tmp_path)
    try:
        assert "nothing kept yet" in first.banner_value("Tables")
        admin = first.as_(first.login("admin", "Admin123!"))
        created = admin.post("/api/usuarios", {"nombre": "Cajera Nueva", "nombre_usuario": "cajera2", "contrasena": "Cajera123!",
                                               "rol": "cajero", "sucursal_id": "centro"})
        assert created.status == 201, created
        cashier = first.as_(first.login("cajera2", "Cajera123!"))
        caja = open_caja(cashier)
        statuses = complete_sale(cashier, platos(cashier), table=4)
        assert all(status < 400 for status in statuses.values()), statuses
        sales = cashier.get("/api/transacciones").body
    finally:
        assert first.stop() == 0
    assert any(line.startswith("Saved ") for line in first.output)

    second = kept_stack(tmp_path)
    try:
        assert "restored" in second.banner_value("Tables")
        cashier = second.as_(second.login("cajera2", "Cajera123!"))
        assert cashier.get("/api/caja/actual").body["id"] == caja
        assert cashier.get("/api/transacciones").body == sales
        again = cashier.post("/api/transacciones", {"nro_reg": 2, "concepto": "Mesa 2", "mesa": "Mesa 2"})
        assert again.status == 201 and again.body["id"] not in [s["id"] for s in _listed(sales)]
    finally:
        second.stop()

    fresh = kept_stack(tmp_path, "--fresh")
    try:
        assert "fresh start" in fresh.banner_value("Tables")
        refused = fresh.post("/api/auth/login", {"nombre_usuario": "cajera2", "contrasena": "Cajera123!"})
        assert refused.status == 401
        assert fresh.as_(fresh.login("cajero1", "Cajero123!")).get("/api/caja/actual").body in (None, {})
    finally:
        fresh.stop()


def _listed(sales: object) -> list[dict[str, object]]:
    return list(sales if isinstance(sales, list) else sales["data"])  # type: ignore[index]
