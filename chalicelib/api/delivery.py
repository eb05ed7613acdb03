"""GastroMovil (COMPAT C): its auth routes, customer accounts and orders, the restaurant panel's
routes and the driver's. Errors answer in GastroMovil's `{"ok": false, "error": ...}` shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.api import schemas as v
from chalicelib.api.http import MESSAGE, ErrorFormat, RequestContext, Surface
from chalicelib.api.responses import EstadoCambiado, EstadoDeRepartidor, Ok, Tokens
from chalicelib.container import get_services
from chalicelib.domain import delivery as d
from chalicelib.errors import InvalidInput
from chalicelib.presenters import delivery as view
from chalicelib.presenters.delivery import Cliente, Direccion, Pedido, PedidoActivo, PedidoCreado

if TYPE_CHECKING:
    from chalicelib.services.customer_accounts import CustomerAccounts
    from chalicelib.services.delivery_orders import DeliveryOrders
    from chalicelib.services.drivers import Drivers


def gastromovil_error(status: int, message: Any, phrase: str) -> Any:
    text = "; ".join(message) if isinstance(message, list) else message
    return {"ok": False, "error": text, "statusCode": status, "message": message}


GASTROMOVIL_ERROR = ErrorFormat("GastroMovilError", gastromovil_error, {
    "type": "object",
    "properties": {"ok": {"const": False}, "error": {"type": "string"}, "statusCode": {"type": "integer"}, "message": MESSAGE},
    "required": ["ok", "error"],
})
surface = Surface("pedidos", errors=GASTROMOVIL_ERROR)

LOGIN = {
    "username": v.text(min_length=1, max_length=254),
    "password": v.text(min_length=1, max_length=256),
    "tenant": v.text(required=False, min_length=1, max_length=64),
}
REFRESH = {"refresh": v.text(min_length=1, max_length=512)}
SIGN_UP = {
    "nombre": v.text(min_length=1, max_length=100),
    "nombre_usuario": v.text(min_length=3, max_length=30, pattern=r"^[a-z0-9_]+$"),
    "email": v.text(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "contrasena": v.text(min_length=8, max_length=256),
    "telefono": v.text(min_length=5, max_length=30, pattern=r"^[0-9+ ()-]+$"),
    "tenant": v.text(required=False, min_length=1, max_length=64),
}
COORD = {
    "latitud": v.decimal(required=False, nullable=True, minimum=-90, maximum=90),
    "longitud": v.decimal(required=False, nullable=True, minimum=-180, maximum=180),
}
ADDRESS = {
    "calle": v.text(min_length=1, max_length=200),
    "barrio": v.text(min_length=1, max_length=100),
    "referencia": v.text(required=False, nullable=True, max_length=300),
    **COORD,
}
ITEM = {
    "plato_id": v.text(required=False, min_length=1, max_length=64),
    "producto_id": v.text(required=False, min_length=1, max_length=64),
    "cantidad": v.integer(minimum=1, maximum=100),
    "notas": v.text(required=False, nullable=True, max_length=300),
}
ORDER = {
    "sucursal_id": v.text(min_length=1, max_length=64),
    "items": v.list_of(ITEM, max_items=50),
    "direccion": v.object_of(ADDRESS, required=False, nullable=True),
    "direccion_id": v.integer(required=False, nullable=True, minimum=1),
    "notas": v.text(required=False, nullable=True, max_length=500),
    "metodo_pago": v.choice(*d.DELIVERY_PAYMENT_METHODS),
}
STATUS = {"estado": v.text(min_length=1, max_length=30)}
DRIVER_STATUS = {"estado": v.choice(*d.DRIVER_STATES)}


def _customers() -> CustomerAccounts:
    return get_services().customer_accounts


def _orders() -> DeliveryOrders:
    return get_services().delivery_orders


def _drivers() -> Drivers:
    return get_services().drivers


def _tz(ctx: RequestContext, branch: str) -> str:
    return get_services().sales.timezone(ctx.tenant, branch)


# --- auth and customers -------------------------------------------------------------------------


@surface.route("/api/login", ["POST"], permission=None, body=LOGIN, response=Tokens)
def login(ctx: RequestContext) -> dict[str, str]:
    body = ctx.body()
    return _customers().login(body["username"], body["password"], body.get("tenant") or ctx.headers.get("x-tenant-id"))


@surface.route("/api/refresh", ["POST"], permission=None, body=REFRESH, response=Tokens)
def refresh(ctx: RequestContext) -> dict[str, str]:
    return _customers().refresh(ctx.body()["refresh"])


@surface.route("/api/clientes/registro", ["POST"], permission=None, status=201, body=SIGN_UP, response=Cliente)
def register(ctx: RequestContext) -> Cliente:
    body = ctx.body()
    return view.customer_out(_customers().register(body.get("tenant") or ctx.headers.get("x-tenant-id"), body))


@surface.route("/api/clientes/perfil", ["GET"], permission="cliente:self", response=Cliente)
def profile(ctx: RequestContext) -> Cliente:
    return view.customer_out(_customers().me(ctx.principal))


@surface.route("/api/clientes/direcciones", ["POST"], permission="cliente:self", status=201, body=ADDRESS, response=Direccion)
def add_address(ctx: RequestContext) -> Direccion:
    return view.address_out(_customers().add_address(ctx.principal, ctx.body()))


@surface.route("/api/clientes/pedidos", ["GET"], permission="cliente:self", response=list[Pedido])
def my_orders(ctx: RequestContext) -> list[Pedido]:
    return [view.order_out(s, _tz(ctx, s.branch_id)) for s in _orders().mine(ctx.principal)]


@surface.route("/api/clientes/pedidos/{pk}", ["GET"], permission="cliente:self", response=Pedido)
def my_order(ctx: RequestContext, pk: str) -> Pedido:
    sale = _orders().order(ctx.principal, v.path_int(pk))
    return view.order_out(sale, _tz(ctx, sale.branch_id))


@surface.route("/api/clientes/pedidos/{pk}/cancelar", ["POST"], permission="cliente:self", response=EstadoCambiado)
def cancel_mine(ctx: RequestContext, pk: str) -> EstadoCambiado:
    sale = _orders().set_status(ctx.principal, v.path_int(pk), d.CANCELLED)
    return {"ok": True, "estado": view.active_order(sale)["estado"]}


@surface.route("/api/pedidos", ["POST"], permission="pedidos:place", status=201, body=ORDER, response=PedidoCreado)
def place(ctx: RequestContext) -> PedidoCreado:
    body = ctx.body()
    key = ctx.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 128:
        raise InvalidInput("Idempotency-Key must be 1 to 128 characters long")
    return _orders().place_once(ctx.principal, body, key, lambda sale: view.placed(sale, _tz(ctx, sale.branch_id)), ctx.lambda_context)


# --- the restaurant panel -----------------------------------------------------------------------


@surface.route("/api/pedidos", ["GET"], permission="pedidos:manage", response=list[Pedido])
def branch_orders(ctx: RequestContext) -> list[Pedido]:
    tz = _tz(ctx, ctx.branch)
    return [view.order_out(s, tz) for s in _orders().for_branch(ctx.principal, ctx.branch)]


@surface.route("/api/pedidos/activos", ["GET"], permission="pedidos:manage", response=list[PedidoActivo])
def active_orders(ctx: RequestContext) -> list[PedidoActivo]:
    return [view.active_order(s) for s in _orders().active_for_branch(ctx.principal, ctx.branch)]


@surface.route("/api/pedidos/{pk}/estado", ["POST"], permission="pedidos:manage", body=STATUS, response=EstadoCambiado)
def set_status(ctx: RequestContext, pk: str) -> EstadoCambiado:
    status = ctx.body()["estado"]
    if status not in d.DELIVERY_STATES:
        raise InvalidInput("Estado inválido")
    sale = _orders().set_status(ctx.principal, v.path_int(pk), status)
    assert sale.entrega is not None
    return {"ok": True, "estado": sale.entrega.estado}


# --- drivers ------------------------------------------------------------------------------------


@surface.route("/api/repartidores/estado", ["POST"], permission="pedidos:deliver", body=DRIVER_STATUS, response=EstadoDeRepartidor)
def set_driver_status_view(ctx: RequestContext) -> EstadoDeRepartidor:
    driver = _drivers().set_driver_status(ctx.principal, ctx.body()["estado"])
    return {"ok": True, "estado": driver.estado, "pedido_id": driver.pedido_id}


@surface.route("/pedidos/{pk}/aceptar-entrega", ["POST"], permission="pedidos:deliver", response=Ok)
def claim(ctx: RequestContext, pk: str) -> Ok:
    _drivers().claim(ctx.principal, v.path_int(pk))
    return {"ok": True}


@surface.route("/pedidos/{pk}/marcar-entregado", ["POST"], permission="pedidos:deliver", response=Ok)
def delivered(ctx: RequestContext, pk: str) -> Ok:
    _drivers().deliver(ctx.principal, v.path_int(pk))
    return {"ok": True}
