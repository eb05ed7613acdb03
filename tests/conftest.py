import contextlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _keep_the_test_environment(self: Any, environment_variables: Any) -> Any:
    return contextlib.nullcontext()


# Chalice's test client swaps os.environ for the `dev` stage's variables around every request,
# by rebinding os.environ: not thread-safe (concurrent requests can leave a stage's variables
# behind) and not what the tests configure. The tests set their own environment.
from chalice.test import BaseClient  # noqa: E402

BaseClient._patched_env_vars = _keep_the_test_environment  # type: ignore[method-assign]
