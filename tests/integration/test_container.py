"""The container is wiring only: each repository is built once, on first use, and every service
and unit of work that needs it is given that same one."""

from __future__ import annotations

from chalicelib.container import get_services


def test_each_repository_is_one_object_shared_by_every_service_that_needs_it(aws: None) -> None:
    services = get_services()

    assert services.sales.repo is services.sale_repo
    assert services.kds.sale_store is services.sale_repo
    assert services.delivery_orders.sale_store is services.sale_repo
    assert services.drivers.sale_store is services.sale_repo
    assert services.caja_reports.sales is services.sale_repo
    assert services.fanout.sales is services.sale_repo

    assert services.sales.cajas is services.caja_repo
    assert services.caja.repo is services.caja_repo
    assert services.caja_reports.cajas is services.caja_repo
    assert services.delivery_orders.cajas is services.caja_repo
    assert services.drivers.cajas is services.caja_repo

    assert services.sales.catalog is services.catalog_repo
    assert services.catalog.repo is services.catalog_repo

    assert services.sales.tenants is services.tenant_repo
    assert services.caja.tenants is services.tenant_repo
    assert services.accounts.tenants is services.tenant_repo
    assert services.customer_accounts.tenants is services.tenant_repo
    assert services.delivery_orders.tenants is services.tenant_repo
    assert services.drivers.tenants is services.tenant_repo
    assert services.zones.tenants is services.tenant_repo

    assert services.accounts.users is services.users
    assert services.customer_accounts.users is services.users
    assert services.sessions.users is services.users
    assert services.customer_accounts.customers is services.customer_repo
    assert services.customer_accounts.refresh_tokens is services.refresh_token_repo
    assert services.drivers.drivers is services.driver_repo
    assert services.drivers.positions is services.position_repo
    assert services.login_throttle.store is services.login_attempt_repo
    assert services.sales.reads is services.sale_reads


def test_the_audit_repository_is_one_object_for_the_audit_trail_and_every_repository_that_writes_entries(aws: None) -> None:
    services = get_services()

    assert services.audit.store is services.audit_repo
    for repository in (services.caja_repo, services.catalog_repo, services.users):
        assert repository._audit is services.audit_repo, type(repository).__name__


def test_every_unit_of_work_is_new_and_stages_on_the_shared_repositories(aws: None) -> None:
    services = get_services()
    first, second = services.unit_of_work(), services.unit_of_work()

    assert first is not second
    for uow in (first, second):
        assert uow._sales is services.sale_repo
        assert uow._catalog is services.catalog_repo
        assert uow._cajas is services.caja_repo
        assert uow._drivers is services.driver_repo
        assert uow._audit is services.audit_repo


def test_services_delivered_to_collaborators_are_the_containers_own(aws: None) -> None:
    services = get_services()

    assert services.delivery_orders.sales is services.sales
    assert services.drivers.sales is services.sales
    assert services.kds.sales is services.sales
    assert services.delivery_orders.customers is services.customer_accounts
    assert services.customer_accounts.staff is services.accounts
    assert services.customer_accounts.throttle is services.login_throttle
    assert services.accounts.throttle is services.login_throttle
    assert services.delivery_orders.idempotency is services.sales.idempotency is services.idempotency
    assert services.catalog.cache is services.sales.catalog_cache is services.catalog_cache
