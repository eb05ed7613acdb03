"""A WebSocket connection as the socket edge and the fan-out see it, and one subscriber of a channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Connection:
    connection_id: str
    tenant: str
    namespace: str
    user_id: str
    role: str
    branch: str | None
    kind: str
    session: str | None
    protocol: str = "json"
    tail: str = ""
    upgraded_from: str | None = None
    token_id: str = ""  # the `jti` of the token that authenticated it (logout closes it)

    @property
    def authenticated(self) -> bool:
        return bool(self.tenant)


@dataclass(frozen=True)
class Subscriber:
    """One subscription as the fan-out needs it: where to send and how to encode. `tag` is the
    protocol's own name for the subscription (a STOMP subscription id), if it has one."""

    connection_id: str
    protocol: str = "json"
    tag: str | None = None


def pending_connection(connection_id: str, protocol: str) -> Connection:
    """A connection whose protocol authenticates after the upgrade (Socket.IO's namespace connect)."""
    return Connection(connection_id, "", "", "", "", None, "pending", None, protocol)
