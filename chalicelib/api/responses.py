"""Response models: what each route answers on success, as pydantic v2 models. Routes name
theirs (`response="Transaccion"`, `"list[Transaccion]"`, `"Caja | None"`); the OpenAPI document
is generated from them, and tests check real answers against them. This module imports pydantic,
so only the document and the tests import it, never the request path."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.caja import DENOMINATION_NAMES

Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", description="money: a decimal string with 2 places")]
Quantity = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", description="a quantity: the shortest exact decimal string")]
LocalTime = Annotated[str, Field(pattern=r"^\d{2}:\d{2} - \d{2}/\d{2}/\d{4}$", description="HH:mm - dd/MM/yyyy in the branch's zone")]
IsoTime = Annotated[str, Field(description="ISO 8601, UTC")]
Id = Annotated[int, Field(ge=1)]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- auth and users (COMPAT A) ---------------------------------------------------------------


class UsuarioBreve(Out):
    id: int
    nombre: str
    nombre_usuario: str
    rol: str


class Usuario(UsuarioBreve):
    activo: bool
    sucursal_id: str | None
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None


class Sesion(Out):
    access_token: str
    usuario: UsuarioBreve


class Perfil(Usuario):
    tenant_id: str
    sucursal_actual: str | None


class Mensaje(Out):
    message: str


class Eliminado(Out):
    message: str
    id: int | str


class Sucursal(Out):
    id: str
    nombre: str
    timezone: str
    tarifa_domicilio: Money


class EntradaAuditoria(Out):
    id: str
    fecha: IsoTime
    accion: str
    objetivo: str
    detalle: dict[str, Any]
    usuario_id: str | None
    usuario_nombre: str | None
    request_id: str | None


# --- caja ------------------------------------------------------------------------------------


Count = Annotated[int, Field(ge=0)]


def _with_counts(name: str, base: type[Out]) -> Any:
    """A model with the 11 denomination counts (b200 … m010) as integer fields."""
    from pydantic import create_model

    return create_model(name, __base__=base, **{d: (Count, ...) for d in DENOMINATION_NAMES})  # type: ignore[call-overload]


class _Arqueo(Out):
    total: Money
    efectivo_esperado: Money
    diferencia: Money
    estado_diferencia: str
    observacion: str | None
    usuario_id: str | int | None
    fecha: LocalTime | None


Arqueo = _with_counts("Arqueo", _Arqueo)


class Resumen(Out):
    monto_inicial: Money
    ventas_efectivo: Money
    ventas_qr: Money
    total_ventas: Money
    gastos_efectivo: Money
    gastos_qr: Money
    total_gastos: Money
    efectivo_esperado: Money
    total_qr: Money


class _Caja(Out):
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
    monto_final: Money | None
    diferencia: Money | None
    estado_diferencia: str | None
    conteo_cierre: dict[str, Count] | None
    cierre_obs: str | None
    usuario_apertura_id: str | int | None
    usuario_cierre_id: str | int | None
    fecha_apertura: LocalTime | None
    fecha_cierre: LocalTime | None
    arqueos: list[Arqueo]  # type: ignore[valid-type]
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None


Caja = _with_counts("Caja", _Caja)


class _CajaCerrada(_Caja):
    resumen: Resumen


CajaCerrada = _with_counts("CajaCerrada", _CajaCerrada)


class _CajaConArqueo(_Caja):
    arqueo: Arqueo  # type: ignore[valid-type]


CajaConArqueo = _with_counts("CajaConArqueo", _CajaConArqueo)


class CajaYResumen(Out):
    caja: Caja  # type: ignore[valid-type]
    resumen: Resumen


class Gasto(Out):
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
    arqueos: list[Arqueo]  # type: ignore[valid-type]


# --- catalog ---------------------------------------------------------------------------------


class _Catalogado(Out):
    activo: bool
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None


class Producto(_Catalogado):
    id: str
    nombre: str
    precio: Money
    stock: Quantity
    unidad: str


class Ingrediente(_Catalogado):
    id: str
    nombre: str
    unidad: str
    cantidad: Quantity
    cantidad_minima: Quantity
    bajo_minimo: bool


class Plato(_Catalogado):
    id: str
    nombre: str
    precio: Money
    estacion: str


class LineaDeReceta(Out):
    ingrediente_id: str
    nombre: str | None
    unidad: str | None
    cantidad: Quantity


class LineaDeRecetaDePlato(LineaDeReceta):
    plato_id: str


class PlatoConReceta(Plato):
    ingredientes: list[LineaDeReceta]


class LineaQuitada(Out):
    message: str
    plato_id: str
    ingrediente_id: str


# --- transacciones ---------------------------------------------------------------------------


class Extra(Out):
    id: Id
    item_id: Id
    ingrediente_id: str | None
    descripcion: str | None
    precio: Money
    cantidad: Quantity
    creado_en: LocalTime | None


class ItemSinExtras(Out):
    """An item as a line of its sale, without its extras (an added extra's `item`)."""

    id: Id
    uuid: str
    transaccion_id: Id
    plato_id: str | None
    producto_id: str | None
    nombre: str
    cantidad: Quantity
    precio_unitario: Money
    subtotal: Money
    notas: str | None
    estacion: str | None
    estado: str | None
    creado_en: LocalTime | None
    eliminado_en: LocalTime | None = None
    eliminado_por: str | int | None = None


class Item(ItemSinExtras):
    extras: list[Extra]


class Pago(Out):
    id: Id
    transaccion_id: Id
    metodo_pago: str
    monto: Money
    monto_recibido: Money | None
    cambio: Money
    referencia_qr: str | None
    caja_id: int | None
    usuario_id: str | int | None
    fecha: LocalTime | None
    creado_en: LocalTime | None


class Entrega(Out):
    estado: str
    cliente: str | None
    direccion: str | None
    referencia: str | None
    metodo_pago: str | None
    notas: str | None
    repartidor_id: str | int | None


class Cabecera(Out):
    """A transacción without its lines."""

    id: Id
    nro_reg: int | None
    concepto: str | None
    mesa: str | int | None
    cliente: str | None
    tipo: str | None
    estado: str
    estado_cocina: str | None
    monto_total: Money
    monto_pagado: Money
    monto_pendiente: Money
    caja_id: int | None
    sucursal_id: str
    usuario_id: str | int | None
    sesion_id: str | None
    fecha: LocalTime | None
    hora: LocalTime | None
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None
    cerrado_en: LocalTime | None
    entrega: Entrega | None = None


class Transaccion(Cabecera):
    items: list[Item]
    pagos: list[Pago]


class ItemAgregado(Item):
    transaccion: Cabecera


class ExtraAgregado(Extra):
    item: ItemSinExtras
    transaccion: Cabecera


class PagoRegistrado(Pago):
    transaccion: Cabecera


class ResumenDeCaja(Out):
    transacciones: int
    cerradas: int
    abiertas: int
    anuladas: int
    total_ventas: Money
    total_pagado: Money
    pagado_efectivo: Money
    pagado_qr: Money
    pendiente_cobro: Money


class ItemEliminado(Item):
    transaccion_concepto: str | None
    mesa: str | int | None


class VentaDetallada(Out):
    tipo: str
    id: str | None
    nombre: str
    cantidad: Quantity
    total: Money


# --- kitchen display (COMPAT B; answered inside {"success": true, "data": ...}) --------------


class KdsExtra(Out):
    id: Id
    description: str | None
    ingredient_id: str | None
    quantity: Quantity


class KdsItem(Out):
    id: str
    order_id: Id
    name: str
    quantity: Quantity
    status: str | None
    station: str | None
    notes: str | None
    extras: list[KdsExtra]
    created_at: IsoTime | None
    updated_at: IsoTime | None


class KdsItemStatus(KdsItem):
    order_status: str


class KdsDelivery(Out):
    address: str | None
    reference: str | None
    customer: str | None
    status: str


class KdsOrder(Out):
    id: Id
    branch_id: str
    status: str
    table: str | int | None
    customer: str | None
    notes: str | None
    waiter: str | None
    session_id: str | None
    created_at: IsoTime | None
    updated_at: IsoTime | None
    elapsed_seconds: Annotated[int, Field(ge=0)]
    items: list[KdsItem]
    type: Literal["delivery", "dine_in"]
    delivery: KdsDelivery | None


class SessionToken(Out):
    token: str
    session_id: str
    channel: str
    expires_in: int


# --- GastroMovil (COMPAT C) ------------------------------------------------------------------


class Tokens(Out):
    access: str
    refresh: str


class Direccion(Out):
    id: int | str
    calle: str | None
    barrio: str | None
    referencia: str | None
    latitud: str | None
    longitud: str | None


class Cliente(Out):
    id: int | str
    nombre: str | None
    nombre_usuario: str | None
    email: str | None
    telefono: str | None
    direcciones: list[Direccion]


class ProductoDePedido(Out):
    nombre: str
    cantidad: Quantity
    precio: Money


class Pedido(Out):
    id: Id
    cliente_nombre: str | None
    total: Money
    estado: str
    fecha: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    notas: str
    direccion: str | None
    productos: list[ProductoDePedido]
    costo_envio: Money
    metodo_pago: str | None
    sucursal_id: str
    repartidor_id: str | int | None


class PedidoActivo(Out):
    id: Id
    cliente_nombre: str | None
    total: Money
    estado: str
    detalles_count: int
    direccion_entrega: str
    notas: str


class PedidoCreado(Out):
    ok: Literal[True]
    pedido_id: Id
    pedido: Pedido


class Ok(Out):
    ok: Literal[True]


class EstadoCambiado(Ok):
    estado: str


class EstadoDeRepartidor(Ok):
    estado: str
    pedido_id: int | None


# --- resolution ------------------------------------------------------------------------------

DECLARATION = re.compile(r"^(?:list\[(?P<listed>\w+)\]|(?P<name>\w+)(?P<optional> \| None)?)$")


def resolve(declared: str) -> Any:
    """The type a route's `response` names: `Name`, `list[Name]` or `Name | None`."""
    match = DECLARATION.match(declared)
    model = globals().get((match.group("listed") or match.group("name")) if match else "")
    if match is None or not (isinstance(model, type) and issubclass(model, Out)) or model is Out:
        raise LookupError(f"no response model {declared!r}")
    if match.group("listed"):
        return list[model]  # type: ignore[valid-type]
    return model | None if match.group("optional") else model
