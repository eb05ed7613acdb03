"""Channel names per namespace, and who may subscribe to what.

Clients name channels without a tenant ("cocina:centro", "branch:centro:kitchen"); a channel
is always resolved inside the tenant of the connection's token, so no client can even name
another tenant's channel. Internally a channel key is "<tenant>/<namespace>/<channel>"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.auth import Principal
from chalicelib.domain.catalog import STATION

NAMESPACES = ("cocina", "kds", "gastromovil")
_SLUG = r"[a-z0-9][a-z0-9_-]{0,63}"


@dataclass(frozen=True)
class Channel:
    namespace: str
    name: str  # as the client sees it

    def key(self, tenant: str) -> str:
        return f"{tenant}/{self.namespace}/{self.name}"

    @property
    def branch(self) -> str | None:
        match = re.fullmatch(rf"(?:cocina|branch|venue):({_SLUG})(?::.*)?", self.name)
        return match.group(1) if match else None

    @property
    def order(self) -> int | None:
        match = re.fullmatch(r"order:([0-9]{1,18})", self.name)
        return int(match.group(1)) if match else None

    @property
    def user(self) -> str | None:
        match = re.fullmatch(r"user:([0-9]{1,18})", self.name)
        return match.group(1) if match else None

    @property
    def session(self) -> str | None:
        match = re.fullmatch(r"session:([A-Za-z0-9_-]{1,64})", self.name)
        return match.group(1) if match else None


class ChannelRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def kitchen_channel(branch: str) -> Channel:
    return Channel("cocina", f"cocina:{branch}")


def kds_channels(branch: str, station: str | None = None) -> list[Channel]:
    """Every kds channel an event about this branch (and station) goes to."""
    names = [f"branch:{branch}", f"branch:{branch}:kitchen"]
    if station:
        names.append(f"branch:{branch}:kitchen:{station}")
    return [Channel("kds", n) for n in names]


def session_channel(session_id: str) -> Channel:
    return Channel("kds", f"session:{session_id}")


def order_channel(order_id: int) -> Channel:
    return Channel("kds", f"order:{order_id}")


def user_channel(user_id: str) -> Channel:
    return Channel("kds", f"user:{user_id}")


def venue_channel(branch: str) -> Channel:
    return Channel("kds", f"venue:{branch}")


# --- the gastromovil namespace (COMPAT C): one channel per socket path, chosen at $connect ------------

GM = "gastromovil"


def gm_branch(branch: str) -> Channel:
    return Channel(GM, f"restaurante:{branch}")


def gm_customer(customer_id: int) -> Channel:
    return Channel(GM, f"cliente:{customer_id}")


def gm_driver(user_id: str) -> Channel:
    return Channel(GM, f"repartidor:{user_id}")


def gm_dispatch(branch: str) -> Channel:
    """Offers to a branch's drivers; each subscription is tagged with its driver's user id."""
    return Channel(GM, f"repartidores:{branch}")


def gm_location(driver_id: str) -> Channel:
    """A driver's positions; each follower's subscription is tagged `cliente:<id>`."""
    return Channel(GM, f"ubicacion:{driver_id}")


def gm_sender(driver_id: str) -> Channel:
    """Marks the driver's own ubicacion socket: the one whose messages are positions."""
    return Channel(GM, f"emisor:{driver_id}")


@dataclass(frozen=True)
class GastroPath:
    kind: str  # restaurante | cliente | repartidor | ubicacion
    target: str


def parse_gastro_path(path: str) -> GastroPath | None:
    """`pedidos/restaurante/<branch>`, `pedidos/cliente/<id>`, `repartidor/<id>`, `ubicacion/<id>`
    (leading `ws/` and slashes optional)."""
    clean = path.strip("/").removeprefix("ws/").strip("/")
    for pattern, kind in ((rf"pedidos/restaurante/({_SLUG})", "restaurante"), (r"pedidos/cliente/([0-9]{1,18})", "cliente"),
                          (r"repartidor/([0-9]{1,18})", "repartidor"), (r"ubicacion/([0-9]{1,18})", "ubicacion")):
        match = re.fullmatch(pattern, clean)
        if match:
            return GastroPath(kind, match.group(1))
    return None


@dataclass(frozen=True)
class OrderScope:
    """What authorizing an order's channel needs to know of the order (found in the caller's tenant)."""

    branch: str
    creator: str


def parse(namespace: str, name: object) -> Channel:
    if not isinstance(name, str) or not name or len(name) > 160:
        raise ChannelRefused("invalid_channel", "channel must be a non-empty string")
    patterns = {
        "cocina": [rf"cocina:{_SLUG}"],
        "kds": [rf"branch:{_SLUG}", rf"branch:{_SLUG}:kitchen", rf"branch:{_SLUG}:kitchen:{STATION}", r"session:[A-Za-z0-9_-]{1,64}",
                r"order:[0-9]{1,18}", r"user:[0-9]{1,18}", rf"venue:{_SLUG}"],
    }.get(namespace, [])
    if not any(re.fullmatch(p, name) for p in patterns):
        raise ChannelRefused("invalid_channel", f"unknown channel {name!r} in namespace {namespace}")
    return Channel(namespace, name)


def authorize(who: Principal, channel: Channel, branch_exists: bool, order: OrderScope | None = None) -> None:
    """Raise ChannelRefused unless `who` may subscribe. `branch_exists` tells whether the
    channel's branch belongs to the caller's tenant, and `order` is the channel's order if it
    is in the caller's tenant (the caller looks both up)."""
    if channel.user is not None:
        if who.kind == "staff" and who.user_id == channel.user:
            return
        raise ChannelRefused("forbidden", "a user channel is only for that user")
    if channel.order is not None:
        if order is None:
            raise ChannelRefused("not_found", f"channel {channel.name} not found")
        if who.kind == "staff" and who.user_id == order.creator:
            return
        if who.kind == "staff" and who.can("orders:read") and (who.role == "admin" or who.branch == order.branch):
            return
        raise ChannelRefused("forbidden", f"not allowed to follow order {channel.order}")
    if channel.session is not None:
        if who.kind == "customer" and who.session == channel.session:
            return
        if who.kind == "staff" and who.can("orders:read"):
            return  # staff may watch a dining session of their own tenant
        raise ChannelRefused("forbidden", "not allowed to subscribe to this session")
    if who.kind != "staff":
        raise ChannelRefused("forbidden", "customer tokens may only subscribe to their own session")
    needed = "cocina:read" if channel.namespace == "cocina" else "orders:read"
    if not who.can(needed):
        raise ChannelRefused("forbidden", f"role {who.role} may not subscribe to {channel.name}")
    if not branch_exists:
        raise ChannelRefused("not_found", f"channel {channel.name} not found")
    if who.role != "admin" and who.branch != channel.branch:
        raise ChannelRefused("forbidden", f"not allowed to subscribe to another branch ({channel.branch})")
