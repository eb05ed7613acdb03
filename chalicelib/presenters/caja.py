"""Output shapes of the cash shift (COMPAT A, "Caja"): money as 2-decimal strings, dates in the branch's zone."""

from __future__ import annotations

from typing import Any, Literal, cast

from chalicelib.domain import caja as domain
from chalicelib.domain.money import money_str
from chalicelib.presenters.shapes import Count, Id, LocalTime, Money, Shape
from chalicelib.presenters.time import local_time


class Counts(Shape):
    """The count of each denomination (chalicelib.domain.caja.DENOMINATION_NAMES; a test holds them equal)."""

    b200: Count
    b100: Count
    b50: Count
    b20: Count
    b10: Count
    b5: Count
    m2: Count
    m1: Count
    m050: Count
    m020: Count
    m010: Count


class _ArqueoFields(Shape):
    total: Money
    efectivo_esperado: Money
    diferencia: Money
    estado_diferencia: str
    observacion: str | None
    usuario_id: str | int | None
    fecha: LocalTime | None


class Arqueo(_ArqueoFields, Counts):
    pass


class Resumen(Shape):
    monto_inicial: Money
    ventas_efectivo: Money
    ventas_qr: Money
    total_ventas: Money
    gastos_efectivo: Money
    gastos_qr: Money
    total_gastos: Money
    efectivo_esperado: Money
    total_qr: Money
    ventas_tarjeta: Money
    gastos_tarjeta: Money
    total_tarjeta: Money


class _CajaFields(Shape):
    id: Id
    sucursal_id: str
    estado: Literal["abierta", "cerrada"]
    cerrada: bool
    monto_inicial: Money
    ventas_efectivo: Money
    ventas_qr: Money
    gastos_efectivo: Money
    gastos_qr: Money
    efectivo_esperado: Money
    total_qr: Money
    ventas_tarjeta: Money
    gastos_tarjeta: Money
    total_tarjeta: Money
    monto_final: Money | None
    diferencia: Money | None
    estado_diferencia: str | None
    conteo_cierre: dict[str, Count] | None
    cierre_obs: str | None
    usuario_apertura_id: str | int | None
    usuario_cierre_id: str | int | None
    fecha_apertura: LocalTime | None
    fecha_cierre: LocalTime | None
    arqueos: list[Arqueo]
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None


class Caja(_CajaFields, Counts):
    pass


class _Closing(Shape):
    resumen: Resumen


class _WithArqueo(Shape):
    arqueo: Arqueo


class CajaCerrada(_CajaFields, _Closing, Counts):  # the counts last, as in every caja shape
    pass


class CajaConArqueo(_CajaFields, _WithArqueo, Counts):
    pass


class CajaYResumen(Shape):
    caja: Caja
    resumen: Resumen


class Gasto(Shape):
    id: Id
    caja_id: Id
    descripcion: str
    metodo_pago: str
    monto: Money
    usuario_id: str | int | None
    fecha: LocalTime | None
    creado_en: LocalTime | None


class CajaDetalle(CajaYResumen):
    gastos: list[Gasto]
    arqueos: list[Arqueo]


def _money_or_none(value: Any) -> str | None:
    return None if value is None else money_str(value)


def summary_out(summary: domain.Resumen) -> Resumen:
    return {
        "monto_inicial": money_str(summary.monto_inicial),
        "ventas_efectivo": money_str(summary.ventas_efectivo),
        "ventas_qr": money_str(summary.ventas_qr),
        "total_ventas": money_str(summary.total_ventas),
        "gastos_efectivo": money_str(summary.gastos_efectivo),
        "gastos_qr": money_str(summary.gastos_qr),
        "total_gastos": money_str(summary.total_gastos),
        "efectivo_esperado": money_str(summary.efectivo_esperado),
        "total_qr": money_str(summary.total_qr),
        "ventas_tarjeta": money_str(summary.ventas_tarjeta),
        "gastos_tarjeta": money_str(summary.gastos_tarjeta),
        "total_tarjeta": money_str(summary.total_tarjeta),
    }


def arqueo_out(arqueo: domain.Arqueo, tz: str) -> Arqueo:
    return cast(Arqueo, {  # the counts are a dict keyed by DENOMINATION_NAMES: Counts
        **arqueo.counts,
        "total": money_str(arqueo.total),
        "efectivo_esperado": money_str(arqueo.esperado),
        "diferencia": money_str(arqueo.diferencia),
        "estado_diferencia": arqueo.estado_diferencia,
        "observacion": arqueo.observacion,
        "usuario_id": arqueo.usuario_id,
        "fecha": local_time(arqueo.created_at, tz),
    })


def caja_out(caja: domain.Caja, tz: str) -> Caja:
    summary = caja.summary()
    return cast(Caja, {  # the counts are a dict keyed by DENOMINATION_NAMES: Counts
        "id": caja.id,
        "sucursal_id": caja.branch_id,
        "estado": caja.estado,
        "cerrada": caja.cerrada,
        **caja.counts_apertura,
        "monto_inicial": money_str(caja.monto_inicial),
        "ventas_efectivo": money_str(caja.ventas_efectivo),
        "ventas_qr": money_str(caja.ventas_qr),
        "gastos_efectivo": money_str(caja.gastos_efectivo),
        "gastos_qr": money_str(caja.gastos_qr),
        "efectivo_esperado": money_str(caja.efectivo_esperado if caja.efectivo_esperado is not None else summary.efectivo_esperado),
        "total_qr": money_str(summary.total_qr),
        "ventas_tarjeta": money_str(caja.ventas_tarjeta),
        "gastos_tarjeta": money_str(caja.gastos_tarjeta),
        "total_tarjeta": money_str(summary.total_tarjeta),
        "monto_final": _money_or_none(caja.monto_final),
        "diferencia": _money_or_none(caja.diferencia),
        "estado_diferencia": caja.estado_diferencia,
        "conteo_cierre": caja.counts_cierre,
        "cierre_obs": caja.cierre_obs,
        "usuario_apertura_id": caja.opened_by,
        "usuario_cierre_id": caja.closed_by,
        "fecha_apertura": local_time(caja.opened_at, tz),
        "fecha_cierre": local_time(caja.closed_at, tz),
        "arqueos": [arqueo_out(a, tz) for a in caja.arqueos],
        "creado_en": local_time(caja.opened_at, tz),
        "actualizado_en": local_time(caja.updated_at or caja.opened_at, tz),
    })


def gasto_out(gasto: domain.Gasto, tz: str) -> Gasto:
    date = local_time(gasto.created_at, tz)
    return {
        "id": gasto.id,
        "caja_id": gasto.caja_id,
        "descripcion": gasto.descripcion,
        "metodo_pago": gasto.metodo_pago,
        "monto": money_str(gasto.monto),
        "usuario_id": gasto.usuario_id,
        "fecha": date,
        "creado_en": date,
    }


def summary_of(caja: domain.Caja, tz: str) -> CajaYResumen:
    return {"caja": caja_out(caja, tz), "resumen": summary_out(caja.summary())}


def closed(caja: domain.Caja, tz: str) -> CajaCerrada:
    return {**caja_out(caja, tz), "resumen": summary_out(caja.summary())}


def with_arqueo(caja: domain.Caja, recorded: domain.Arqueo, tz: str) -> CajaConArqueo:
    return {**caja_out(caja, tz), "arqueo": arqueo_out(recorded, tz)}


def detail(caja: domain.Caja, gastos: list[domain.Gasto], tz: str) -> CajaDetalle:
    return {
        **summary_of(caja, tz),
        "gastos": [gasto_out(g, tz) for g in gastos],
        "arqueos": [arqueo_out(a, tz) for a in caja.arqueos],
    }
