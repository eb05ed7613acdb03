"""The runbook exists and covers what operators need; the README points at it in two lines."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_deploying_section_is_two_lines_pointing_at_the_runbook() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploying\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.strip()]
    assert len(lines) == 2
    assert "make deploy STAGE=" in lines[0] and "docs/operations.md" in lines[1]


def test_the_runbook_has_a_section_for_every_alarm_in_infra() -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text()
    template = (ROOT / "infra" / "tables.yaml").read_text()
    anchors = set(re.findall(r"docs/operations\.md#([a-z0-9-]+)", template))
    assert len(anchors) == 6
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", runbook, re.M)}
    assert anchors <= headings
    for topic in ("First deploy", "Updates", "Rollback", "rotat", "replay_dlq", "Restore", "Custom domain"):
        assert topic in runbook, topic
