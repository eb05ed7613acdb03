"""Lazily built, cached services for the running process (Lambda container or test).

Repositories import PynamoDB, so they are imported on first use, not at module import:
the Lambda cold path stays light.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib import metrics
from chalicelib.auth import TokenService
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.realtime.channels import OrderScope
    from chalicelib.realtime.fanout import Fanout
    from chalicelib.realtime.gateway import SocketGateway
    from chalicelib.realtime.polling import Frames, PollingSessions
    from chalicelib.realtime.sender import Sender
    from chalicelib.realtime.shards import ShardPlan
    from chalicelib.services.accounts import AccountService
    from chalicelib.services.audit import AuditTrail
    from chalicelib.services.caja import CajaService
    from chalicelib.services.catalog import CatalogService
    from chalicelib.services.catalog_cache import CatalogCache
    from chalicelib.services.delivery import DeliveryService
    from chalicelib.services.reports import CajaReports
    from chalicelib.services.sales import KitchenDisplayService, SaleService
    from chalicelib.services.sessions import SessionGuard
    from chalicelib.services.throttle import LoginThrottle
    from chalicelib.services.zones import BranchTimezones
    from chalicelib.store.connections import ConnectionRepository
    from chalicelib.store.tenancy import TenantRepository
    from chalicelib.store.users import UserRepository

# A 410 for a connection younger than this is not taken as gone: a frame can reach API Gateway
# before that connection's $connect has returned (docs/websocket.md).
GONE_SETTLE_SECONDS = 10


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        metrics.configure(settings.metrics_enabled, settings.stage)

    @cached_property
    def tokens(self) -> TokenService:
        return TokenService(self.settings)

    @cached_property
    def tenant_repo(self) -> TenantRepository:
        from chalicelib.store.tenancy import TenantRepository

        return TenantRepository(self.settings)

    @cached_property
    def zones(self) -> BranchTimezones:
        from chalicelib.services.zones import BranchTimezones

        return BranchTimezones(self.tenant_repo, self.settings.default_timezone)

    @cached_property
    def users(self) -> UserRepository:
        from chalicelib.store.users import UserRepository

        return UserRepository(self.settings)

    @cached_property
    def sessions(self) -> SessionGuard:
        from chalicelib.services.sessions import SessionGuard

        return SessionGuard(self.users, self.settings.session_cache_seconds)

    @cached_property
    def accounts(self) -> AccountService:
        from chalicelib.services.accounts import AccountService

        return AccountService(self.tenant_repo, self.users, self.tokens, self.settings.default_tenant, self.sessions,
                              on_revoked=lambda tenant, user_id, token_id: self.sockets.close_user(tenant, str(user_id), token_id),
                              throttle=self.login_throttle, audit=self.audit)

    @cached_property
    def audit(self) -> AuditTrail:
        from chalicelib.services.audit import AuditTrail
        from chalicelib.store.audit import AuditRepository

        return AuditTrail(AuditRepository(self.settings), self.settings.audit_retention_days)

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        """For every login route (staff now; customers and drivers when their routes come)."""
        from chalicelib.services.throttle import LoginThrottle
        from chalicelib.store.throttle import AttemptRepository

        return LoginThrottle(AttemptRepository(self.settings), self.settings.login_max_failures, self.settings.login_window_seconds)

    @cached_property
    def catalog(self) -> CatalogService:
        from chalicelib.services.catalog import CatalogService
        from chalicelib.store.catalog import CatalogRepository

        return CatalogService(CatalogRepository(self.settings), self.audit, self.catalog_cache)

    @cached_property
    def catalog_cache(self) -> CatalogCache:
        """Shared by the sale path (reads) and the catalog (forgets what it changes)."""
        from chalicelib.services.catalog_cache import CatalogCache

        return CatalogCache()

    @cached_property
    def caja(self) -> CajaService:
        from chalicelib.services.caja import CajaService
        from chalicelib.store.cajas import CajaRepository

        return CajaService(CajaRepository(self.settings), self.tenant_repo, self.zones, self.audit)

    @cached_property
    def sales(self) -> SaleService:
        from chalicelib.services.idempotency import IdempotentCommands
        from chalicelib.services.sales import SaleService
        from chalicelib.store.audit import AuditRepository
        from chalicelib.store.cajas import CajaRepository
        from chalicelib.store.catalog import CatalogRepository
        from chalicelib.store.reads import SaleReadRepository
        from chalicelib.store.sales import SaleRepository
        from chalicelib.store.unit_of_work import DynamoUnitOfWork

        repo, catalog, cajas = SaleRepository(self.settings), CatalogRepository(self.settings), CajaRepository(self.settings)
        audit = AuditRepository(self.settings)

        def unit_of_work() -> DynamoUnitOfWork:
            return DynamoUnitOfWork(self.settings, repo, catalog, cajas, audit=audit)

        return SaleService(repo, catalog, cajas, self.tenant_repo, IdempotentCommands(self.settings), self.zones, unit_of_work,
                           self.audit, reads=SaleReadRepository(self.settings, repo, catalog), catalog_cache=self.catalog_cache)

    @cached_property
    def caja_reports(self) -> CajaReports:
        from chalicelib.services.reports import CajaReports

        return CajaReports(self.sales.repo, self.sales.cajas)

    @cached_property
    def delivery_orders(self) -> DeliveryService:
        from chalicelib.services.delivery import DeliveryService
        from chalicelib.store.delivery import CustomerRepository, DriverRepository, PositionRepository, RefreshTokenRepository

        return DeliveryService(self.sales, self.accounts, CustomerRepository(self.settings), DriverRepository(self.settings),
                               RefreshTokenRepository(self.settings), self.tokens, PositionRepository(self.settings))

    @cached_property
    def connections(self) -> ConnectionRepository:
        from chalicelib.store.connections import ConnectionRepository

        return ConnectionRepository(self.settings)

    @cached_property
    def sender(self) -> Sender:
        from chalicelib.realtime.sender import Sender, make_lean_client
        from chalicelib.settings import SettingsError

        if not self.settings.websocket_endpoint:
            raise SettingsError("WEBSOCKET_ENDPOINT is not set: the fan-out cannot reach the WebSocket API")
        threads = 16
        settings, endpoint = self.settings, self.settings.websocket_endpoint
        client = make_lean_client(endpoint, settings.region, threads, credentials=settings.aws_credentials)
        connections = self.connections

        def forget(connection_id: str) -> None:
            connections.remove_gone(connection_id, time.time(), GONE_SETTLE_SECONDS)

        return Sender(client, forget, threads=threads)

    @cached_property
    def sockets(self) -> SocketGateway:
        from chalicelib.realtime.gateway import GastroHooks, SocketGateway

        tenants = self.tenant_repo
        return SocketGateway(
            self.tokens,
            self.connections,
            branch_exists=lambda tenant, branch: tenants.get_branch(tenant, branch) is not None,
            reply=lambda connection_id, message: self.frames.send_one(connection_id, message),
            post=lambda connection_id, message: self.frames.post(connection_id, message),
            close=lambda connection_id: self.frames.close(connection_id),
            socketio_timing=(self.settings.socketio_ping_interval_ms, self.settings.socketio_ping_timeout_ms),
            order_scope=self._order_scope,
            stomp_connect_deadline_seconds=self.settings.stomp_connect_deadline_seconds,
            gastro=GastroHooks(
                carrier_customer=lambda tenant, driver: self.delivery_orders.carrier_customer(tenant, driver),
                record_position=lambda tenant, driver, lat, lon: self.delivery_orders.record_position(tenant, driver, lat, lon),
            ),
            session_check=self.sessions.check,
        )

    def _order_scope(self, tenant: str, order_id: int) -> OrderScope | None:
        from chalicelib.realtime.channels import OrderScope

        order = self.sales.repo.get(tenant, order_id)
        return OrderScope(order.branch_id, str(order.usuario_id)) if order is not None else None

    @cached_property
    def frames(self) -> Frames:
        """Sends to WebSockets, and queues for Socket.IO long-polling sessions."""
        from chalicelib.realtime.polling import Frames

        return Frames(lambda: self.sender, self.connections)

    @cached_property
    def polling(self) -> PollingSessions:
        from chalicelib.realtime.polling import PollingSessions

        timing = (self.settings.socketio_ping_interval_ms, self.settings.socketio_ping_timeout_ms)
        return PollingSessions(self.connections, self.sockets.socketio_packet, timing, self.settings.socketio_poll_wait_seconds)

    def socket_heartbeat(self) -> int:
        return self.sockets.heartbeat(lambda ids, message: self.frames.send(ids, message))

    @cached_property
    def fanout(self) -> Fanout:
        from chalicelib.domain.delivery import DRIVER_AVAILABLE
        from chalicelib.realtime.fanout import Fanout, GastroLookups
        from chalicelib.store.delivery import PositionRepository

        def restaurant_name(tenant: str, branch_id: str) -> str:
            branch = self.tenant_repo.get_branch(tenant, branch_id)
            return branch.nombre if branch else branch_id

        def driver_available(tenant: str, user_id: str) -> bool:
            driver = self.delivery_orders.drivers.get(tenant, user_id)
            return driver is not None and driver.estado == DRIVER_AVAILABLE

        gastro = GastroLookups(restaurant_name, driver_available, self.delivery_orders.carrier_customer, PositionRepository.decode)
        return Fanout(self.connections, self.sales.repo, self.frames, self.sales.timezone, gastro, self.shard_plan)

    @cached_property
    def shard_plan(self) -> ShardPlan:
        from chalicelib.realtime.shards import ShardPlan

        return ShardPlan(self.settings.fanout_shard_threshold, self.settings.fanout_shard_size, self._invoke_send_frames)

    def _invoke_send_frames(self, event: bytes) -> None:
        """One asynchronous invocation of send_frames (COMANDA_LAMBDA_ENDPOINT_URL: the local stack's)."""
        self._lambda_client.invoke(FunctionName=self.settings.send_frames_function, InvocationType="Event", Payload=event)

    @cached_property
    def _lambda_client(self) -> Any:
        import boto3
        from botocore.config import Config

        settings = self.settings
        access_key, secret_key = settings.aws_credentials or (None, None)
        config = Config(max_pool_connections=16, connect_timeout=3, read_timeout=10, retries={"mode": "standard"})
        return boto3.client("lambda", region_name=settings.region, endpoint_url=settings.lambda_endpoint_url or settings.endpoint_url,
                            aws_access_key_id=access_key, aws_secret_access_key=secret_key, config=config)

    def send_frames(self, event: dict[str, Any]) -> dict[str, Any]:
        """One shard of a big channel's fan-out (the send_frames function)."""
        from chalicelib.realtime.shards import send_shard

        return send_shard(self.frames.send, event, self.shard_plan)

    @cached_property
    def kds(self) -> KitchenDisplayService:
        from chalicelib.services.sales import KitchenDisplayService

        return KitchenDisplayService(self.sales, self.tokens, self.settings.recall_window_minutes)


_installed: list[Services] = []


def get_services() -> Services:
    """The services of this process: those installed by `use_settings` (tests, tools, the local
    stack), else those of the environment's settings (a Lambda container)."""
    return _installed[-1] if _installed else _from_environment()


@lru_cache(maxsize=1)
def _from_environment() -> Services:
    return Services(get_settings())


@contextmanager
def use_settings(settings: Settings) -> Iterator[Services]:
    """Run with services built on `settings`, without touching the environment; nests."""
    services = Services(settings)
    _installed.append(services)
    try:
        yield services
    finally:
        _installed.remove(services)


def reset_services() -> None:
    """Forget the environment's settings and services (a test changed the environment)."""
    from chalicelib.settings import reset_settings

    reset_settings()
    _from_environment.cache_clear()
