"""The tests' JSON client over Chalice's test client, and the two-tenant world (both shared with
the benches, in devstack/)."""

from devstack.client import ChaliceClient as Api
from devstack.client import Reply
from devstack.world import ROLES_PASSWORDS, TenantWorld, provision_world

__all__ = ["ROLES_PASSWORDS", "Api", "Reply", "TenantWorld", "provision_world"]
