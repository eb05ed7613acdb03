"""The real local stack for the e2e tests: devstack/launch.py (shared with the benches)."""

from devstack.client import Reply
from devstack.launch import READY_LINE, REPO, RunningStack, free_port, launch_stack

__all__ = ["READY_LINE", "REPO", "Reply", "RunningStack", "free_port", "launch_stack"]
