"""The terminal chat: after the summary, the path of its cost chart."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bot.console.test_chat import chat
from tests.support.answers import TYPED_ANSWERS


def test_summary_is_followed_by_the_path_of_its_chart() -> None:
    out = chat(["live", "core", *TYPED_ANSWERS[2:]], columns=1000).stdout
    found = re.search(r"^Cost chart \(a picture of the cost figures above\): (\S+)$", out, re.M)
    assert found, out[-2000:]
    assert out.index("YOUR SUMMARY") < found.start()
    path = Path(found.group(1))
    assert path.name == "default-cost-chart.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert path.parent.stat().st_mode & 0o077 == 0  # the person's own folder
