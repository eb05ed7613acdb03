"""Lazily built, cached services for the running process (Lambda container or test): wiring only.

Each repository is one cached property, built once and shared by every service that needs it.
Repositories import PynamoDB, so they are imported on first use, not at module import: the
Lambda cold path stays light.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib import metrics
from chalicelib.auth import TokenService
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
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
    from chalicelib.services.customer_accounts import CustomerAccounts
    from chalicelib.services.delivery_orders import DeliveryOrders
    from chalicelib.services.drivers import Drivers
    from chalicelib.services.idempotency import IdempotentCommands
    from chalicelib.services.kitchen_display import KitchenDisplayService
    from chalicelib.services.kitchen_reports import KitchenReports
    from chalicelib.services.reports import CajaReports
    from chalicelib.services.rollups import RollupFeed
    from chalicelib.services.sales import SaleService
    from chalicelib.services.sales_reports import SalesReports
    from chalicelib.services.sessions import SessionGuard
    from chalicelib.services.throttle import LoginThrottle
    from chalicelib.services.zones import BranchTimezones
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.cajas import CajaRepository
    from chalicelib.store.catalog import CatalogRepository
    from chalicelib.store.connections import ConnectionRepository
    from chalicelib.store.delivery import CustomerRepository, DriverRepository, PositionRepository, RefreshTokenRepository
    from chalicelib.store.reads import SaleReadRepository
    from chalicelib.store.rollups import RollupRepository
    from chalicelib.store.sales import SaleRepository
    from chalicelib.store.tenancy import TenantRepository
    from chalicelib.store.throttle import AttemptRepository
    from chalicelib.store.unit_of_work import DynamoUnitOfWork
    from chalicelib.store.users import UserRepository


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
    def sale_repo(self) -> SaleRepository:
        from chalicelib.store.sales import SaleRepository

        return SaleRepository(self.settings)

    @cached_property
    def catalog_repo(self) -> CatalogRepository:
        from chalicelib.store.catalog import CatalogRepository

        return CatalogRepository(self.settings, self.audit_repo)

    @cached_property
    def caja_repo(self) -> CajaRepository:
        from chalicelib.store.cajas import CajaRepository

        return CajaRepository(self.settings, self.audit_repo)

    @cached_property
    def audit_repo(self) -> AuditRepository:
        from chalicelib.store.audit import AuditRepository

        return AuditRepository(self.settings)

    @cached_property
    def driver_repo(self) -> DriverRepository:
        from chalicelib.store.delivery import DriverRepository

        return DriverRepository(self.settings)

    @cached_property
    def position_repo(self) -> PositionRepository:
        from chalicelib.store.delivery import PositionRepository

        return PositionRepository(self.settings)

    @cached_property
    def customer_repo(self) -> CustomerRepository:
        from chalicelib.store.delivery import CustomerRepository

        return CustomerRepository(self.settings)

    @cached_property
    def refresh_token_repo(self) -> RefreshTokenRepository:
        from chalicelib.store.delivery import RefreshTokenRepository

        return RefreshTokenRepository(self.settings)

    @cached_property
    def login_attempt_repo(self) -> AttemptRepository:
        from chalicelib.store.throttle import AttemptRepository

        return AttemptRepository(self.settings)

    @cached_property
    def sale_reads(self) -> SaleReadRepository:
        from chalicelib.store.reads import SaleReadRepository

        return SaleReadRepository(self.settings, self.sale_repo, self.catalog_repo)

    @cached_property
    def zones(self) -> BranchTimezones:
        from chalicelib.services.zones import BranchTimezones

        return BranchTimezones(self.tenant_repo, self.settings.default_timezone)

    @cached_property
    def users(self) -> UserRepository:
        from chalicelib.store.users import UserRepository

        return UserRepository(self.settings, self.audit_repo)

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

        return AuditTrail(self.audit_repo, self.settings.audit_retention_days)

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        """For every login route (staff now; customers and drivers when their routes come)."""
        from chalicelib.services.throttle import LoginThrottle

        return LoginThrottle(self.login_attempt_repo, self.settings.login_max_failures, self.settings.login_window_seconds)

    @cached_property
    def catalog(self) -> CatalogService:
        from chalicelib.services.catalog import CatalogService

        return CatalogService(self.catalog_repo, self.audit, self.catalog_cache)

    @cached_property
    def catalog_cache(self) -> CatalogCache:
        """Shared by the sale path (reads) and the catalog (forgets what it changes)."""
        from chalicelib.services.catalog_cache import CatalogCache

        return CatalogCache()

    @cached_property
    def caja(self) -> CajaService:
        from chalicelib.services.caja import CajaService

        return CajaService(self.caja_repo, self.tenant_repo, self.zones, self.audit)

    @cached_property
    def idempotency(self) -> IdempotentCommands:
        from chalicelib.services.idempotency import IdempotentCommands

        return IdempotentCommands(self.settings)

    def unit_of_work(self) -> DynamoUnitOfWork:
        """A new unit of work: the sale, the stock, the caja tallies, the driver and the audit entries of one change."""
        from chalicelib.store.unit_of_work import DynamoUnitOfWork

        return DynamoUnitOfWork(self.settings, self.sale_repo, self.catalog_repo, self.caja_repo, self.driver_repo, self.audit_repo)

    @cached_property
    def sales(self) -> SaleService:
        from chalicelib.services.sales import SaleService

        return SaleService(self.sale_repo, self.catalog_repo, self.caja_repo, self.tenant_repo, self.idempotency, self.zones,
                           self.unit_of_work, self.audit, reads=self.sale_reads, catalog_cache=self.catalog_cache)

    @cached_property
    def caja_reports(self) -> CajaReports:
        from chalicelib.services.reports import CajaReports

        return CajaReports(self.sale_repo, self.caja_repo)

    @cached_property
    def kitchen_reports(self) -> KitchenReports:
        from chalicelib.services.kitchen_reports import KitchenReports

        return KitchenReports(self.rollup_repo, self.catalog_repo, self.zones)

    @cached_property
    def sales_reports(self) -> SalesReports:
        from chalicelib.services.sales_reports import SalesReports

        return SalesReports(self.rollup_repo, self.zones.branch, self.catalog_repo, self.users, self.caja_repo)

    @cached_property
    def customer_accounts(self) -> CustomerAccounts:
        from chalicelib.services.customer_accounts import CustomerAccounts

        return CustomerAccounts(self.tenant_repo, self.customer_repo, self.users, self.refresh_token_repo,
                                self.tokens, self.accounts, self.login_throttle, self.settings.default_tenant)

    @cached_property
    def delivery_orders(self) -> DeliveryOrders:
        from chalicelib.services.delivery_orders import DeliveryOrders

        return DeliveryOrders(self.sales, self.sale_repo, self.caja_repo, self.tenant_repo, self.customer_accounts, self.idempotency)

    @cached_property
    def drivers(self) -> Drivers:
        from chalicelib.services.drivers import Drivers

        return Drivers(self.sales, self.sale_repo, self.caja_repo, self.tenant_repo, self.driver_repo, self.position_repo,
                       self.unit_of_work)

    @cached_property
    def connections(self) -> ConnectionRepository:
        from chalicelib.store.connections import ConnectionRepository

        return ConnectionRepository(self.settings)

    @cached_property
    def sender(self) -> Sender:
        from chalicelib.realtime.sender import management_sender
        from chalicelib.settings import SettingsError

        settings = self.settings
        if not settings.websocket_endpoint:
            raise SettingsError("WEBSOCKET_ENDPOINT is not set: the fan-out cannot reach the WebSocket API")
        return management_sender(settings.websocket_endpoint, settings.region, settings.aws_credentials, self.connections.remove_gone)

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
            find_sale=self.sales.find,
            stomp_connect_deadline_seconds=self.settings.stomp_connect_deadline_seconds,
            gastro=GastroHooks(
                carrier_customer=lambda tenant, driver: self.drivers.carrier_customer(tenant, driver),
                record_position=lambda tenant, driver, lat, lon: self.drivers.record_position(tenant, driver, lat, lon),
            ),
            session_check=self.sessions.check,
        )

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

    def sweep_send(self, connection_ids: list[str], message: str, close: bool = False) -> None:
        """A scheduled sweep's frame to many connections, through the fan-out's shards."""
        self.shard_plan.send(connection_ids, message, self.frames.send, self.frames.close if close else None)

    def socket_heartbeat(self) -> int:
        return self.sockets.heartbeat(self.sweep_send)

    def stomp_connect_deadline(self) -> int:
        return self.sockets.close_unconnected_stomp(lambda ids, message: self.sweep_send(ids, message, close=True))

    @cached_property
    def fanout(self) -> Fanout:
        from chalicelib.realtime.fanout import Fanout, GastroLookups, MenuLookups
        from chalicelib.store.catalog import decode_plato_image
        from chalicelib.store.tenancy import decode_branch

        drivers = self.drivers
        gastro = GastroLookups(self.delivery_orders.restaurant_name, drivers.driver_available, drivers.carrier_customer,
                               self.position_repo.decode)
        menu = MenuLookups(decode_plato_image, lambda tenant: [b.branch_id for b in self.tenant_repo.list_branches(tenant)])
        return Fanout(self.connections, self.sale_repo, self.frames, self.sales.timezone, gastro, self.shard_plan,
                      decode_branch=decode_branch, rollups=self.rollup_feed, menu=menu)

    @cached_property
    def rollup_repo(self) -> RollupRepository:
        from chalicelib.store.rollups import RollupRepository

        return RollupRepository(self.settings)

    @cached_property
    def rollup_feed(self) -> RollupFeed:
        from chalicelib.services.rollups import REPORTS, RollupFeed

        return RollupFeed(self.rollup_repo, self.zones.branch, REPORTS)

    @cached_property
    def shard_plan(self) -> ShardPlan:
        from chalicelib.realtime.shards import LambdaInvoker, ShardPlan

        settings = self.settings
        invoke = LambdaInvoker(settings.send_frames_function, settings.region, settings.lambda_endpoint_url or settings.endpoint_url,
                               settings.aws_credentials)
        return ShardPlan(settings.fanout_shard_threshold, settings.fanout_shard_size, invoke)

    def send_frames(self, event: dict[str, Any]) -> dict[str, Any]:
        """One shard of a big channel's fan-out (the send_frames function)."""
        from chalicelib.realtime.shards import send_shard

        return send_shard(self.frames.send, event, self.shard_plan, self.frames.close)

    @cached_property
    def kds(self) -> KitchenDisplayService:
        from chalicelib.services.kitchen_display import KitchenDisplayService

        return KitchenDisplayService(self.sales, self.sale_repo, self.tokens, self.settings.recall_window_minutes)


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
