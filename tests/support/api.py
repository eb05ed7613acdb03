"""The tests' JSON client over Chalice's test client, and the two-tenant world (both shared with
the benches, in devstack/)."""

import threading
from collections.abc import Callable

from devstack.client import ChaliceClient as Api
from devstack.client import Reply
from devstack.world import ROLES_PASSWORDS, TenantWorld, provision_world

__all__ = ["ROLES_PASSWORDS", "Api", "Reply", "TenantWorld", "provision_world", "threaded_api"]


def threaded_api(token: str) -> Callable[[], Api]:
    """One Chalice test client per thread, on an app whose current_request is thread-local (as in
    the local stack and in Lambda, where each request has its own)."""
    from chalice.test import Client

    from app import app
    from devstack.gateway import make_thread_safe

    make_thread_safe(app)
    local = threading.local()

    def get() -> Api:
        if not hasattr(local, "api"):
            local.client = Client(app)
            local.api = Api(local.client.__enter__(), token)
        return local.api

    return get
