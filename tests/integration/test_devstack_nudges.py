"""The local stack wakes its stream pollers the moment the app's shared DynamoDB client writes."""

from __future__ import annotations

from chalicelib.container import get_services
from devstack.stack import Stack, parse_args


class Poller:
    def __init__(self) -> None:
        self.nudges = 0

    def nudge(self) -> None:
        self.nudges += 1

    def stop(self) -> None:
        pass


def test_the_stack_nudges_its_pollers_after_each_write_of_the_apps_client_and_not_after_reads(aws: None) -> None:
    stack = Stack(parse_args(["--port", "0", "--no-seed"]))
    stack.settings = get_services().settings
    poller = Poller()
    stack.pollers = [poller]
    stack.nudge_on_writes()
    try:
        tenants = get_services().tenant_repo
        assert tenants.get_tenant("nobody") is None
        assert poller.nudges == 0, "a read wrote nothing to any stream"
        tenants.next_id("alpha", "transaccion")
        assert poller.nudges == 1
    finally:
        stack.close()
    tenants.next_id("alpha", "transaccion")
    assert poller.nudges == 1, "a closed stack no longer listens"
