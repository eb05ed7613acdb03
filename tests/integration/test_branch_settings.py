"""A branch's tables (`mesas`, set by the owner through PATCH /api/sucursales/{id}) and the
caller's own branch (GET /api/sucursales/actual), which every staff screen may read."""

from __future__ import annotations

import json

from tests.support.api import Api, TenantWorld

STAFF = ("admin", "cajero", "mesero", "cocina")


def test_the_owner_sets_the_branch_s_tables_and_every_staff_role_reads_them_in_order(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    changed = admin.patch("/api/sucursales/centro", {"mesas": ["1", " 2 ", "Terraza", "Barra"]})
    assert changed.status == 200, changed
    assert changed.body["mesas"] == ["1", "2", "Terraza", "Barra"], "trimmed, in the order given"

    for role in STAFF:
        mine = api.as_(alpha.tokens[role]).get("/api/sucursales/actual")
        assert mine.status == 200, (role, mine)
        assert mine.body == {"id": "centro", "nombre": "Centro", "timezone": "America/La_Paz", "minutos_tarde": 20,
                             "mesas": ["1", "2", "Terraza", "Barra"]}, role
    assert api.as_(alpha.tokens["repartidor"]).get("/api/sucursales/actual").status == 403


def test_a_branch_without_tables_lists_none_and_other_settings_keep_them(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    assert admin.get("/api/sucursales/actual").body["mesas"] == []
    assert [b["mesas"] for b in admin.get("/api/sucursales").body] == [[], []]
    admin.patch("/api/sucursales/centro", {"mesas": ["5"]})
    assert admin.patch("/api/sucursales/centro", {"minutos_tarde": 15}).body["mesas"] == ["5"]
    assert admin.patch("/api/sucursales/centro", {"mesas": []}).body["mesas"] == []
    assert admin.get("/api/sucursales/actual").body["mesas"] == []


def test_an_admin_reads_the_branch_it_acts_on(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    admin.patch("/api/sucursales/norte", {"mesas": ["N1"]})
    assert admin.get("/api/sucursales/actual", headers={"X-Branch-Id": "norte"}).body["mesas"] == ["N1"]
    assert admin.get("/api/sucursales/actual").body["id"] == "centro"


def test_tables_are_refused_when_empty_too_long_repeated_too_many_or_not_text(api: Api, alpha: TenantWorld) -> None:
    admin = api.as_(alpha.tokens["admin"])
    cases = {
        "empty name": ({"mesas": ["1", "  "]}, "mesas.1"),
        "too long": ({"mesas": ["x" * 51]}, "mesas.0 must be shorter than or equal to 50 characters"),
        "repeated": ({"mesas": ["1", "2", "1"]}, "mesas must not repeat a table (1)"),
        "too many": ({"mesas": [str(n) for n in range(201)]}, "mesas must contain no more than 200 elements"),
        "a number": ({"mesas": [5]}, "mesas.0 must be a string"),
        "not a list": ({"mesas": "1,2"}, "mesas must be an array"),
    }
    for name, (body, message) in cases.items():
        reply = admin.patch("/api/sucursales/centro", body)
        assert reply.status == 400, (name, reply)
        assert message in json.dumps(reply.body), (name, reply.body)
    assert admin.get("/api/sucursales/actual").body["mesas"] == [], "nothing half-written"


def test_only_the_owner_changes_the_tables(api: Api, alpha: TenantWorld) -> None:
    for role in ("cajero", "mesero", "cocina"):
        assert api.as_(alpha.tokens[role]).patch("/api/sucursales/centro", {"mesas": ["1"]}).status == 403, role


def test_the_current_branch_of_another_tenant_never_shows(api: Api, alpha: TenantWorld, beta: TenantWorld) -> None:
    api.as_(alpha.tokens["admin"]).patch("/api/sucursales/centro", {"mesas": ["Alfa 1"]})
    beta_sees = api.as_(beta.tokens["mesero"]).get("/api/sucursales/actual")
    assert beta_sees.body["id"] == "sur" and beta_sees.body["mesas"] == []
    assert "Alfa" not in json.dumps(beta_sees.body)
    assert api.as_(beta.tokens["admin"]).get("/api/sucursales/actual", headers={"X-Branch-Id": "centro"}).status == 404
