"""Reading py-spy's raw stacks: frames, idle samples, the suspects' selectors."""

from __future__ import annotations

from pathlib import Path

import slack_sdk.web.async_internal_utils as sdk_internals

from bench import stacks

SDK = sdk_internals.__file__
LOOP = "run_forever (/x/lib/python3.11/asyncio/base_events.py:607)"


def test_frames_keep_class_qualified_names_paths_and_lines() -> None:
    frame = stacks.parse_frame("TurnObserver.turn_done (/repo/bot/observe.py:92)")
    assert frame == stacks.Frame("TurnObserver.turn_done", "/repo/bot/observe.py", 92)
    assert frame.where == "bot/observe.py:TurnObserver.turn_done"
    assert stacks.named(frame, "turn_done") and not stacks.named(frame, "done")
    assert stacks.parse_frame("<module> (spin.py)") == stacks.Frame("<module>", "spin.py", 0)


def test_idle_samples_are_dropped_and_parts_scale_to_the_measured_cpu(tmp_path: Path) -> None:
    raw = tmp_path / "advisor.stacks"
    raw.write_text(
        f"{LOOP};EpollSelector.select (/x/lib/python3.11/selectors.py:468) 50\n"
        f"{LOOP};TurnObserver.turn_done (/r/bot/observe.py:92);"
        "Logger.info (/x/lib/python3.11/logging/__init__.py:1489) 30\n"
        f"{LOOP};AsyncBaseClient.api_call (/s/site-packages/slack_sdk/web/x.py:1) 70\n"
    )
    samples = stacks.read_samples(raw, rate=100, turns=10, cpu_per_turn=0.002)
    assert samples.total == 100  # the 50 in select are the loop waiting
    assert samples.sampled_ms_per_turn == 100.0
    log_line = stacks.under("/bot/observe.py", "turn_done", "/logging/")
    assert samples.per_turn_us(stacks.selected(samples, log_line)) == 600.0  # 30% of 2 ms
    assert stacks.by_leaf(samples, stacks.area)["logging"] == 30
    lines = stacks.report(samples, samples)
    assert any(line.strip().startswith("the per-turn JSON log line") for line in lines)


def test_slack_sdk_debug_formatting_is_found_by_its_guard() -> None:
    blocks = stacks.debug_blocks(SDK)
    assert blocks, "slack_sdk no longer guards its debug logging with `logger.level <= DEBUG`"
    low, high = blocks[0]
    assert stacks.in_debug_block(stacks.Frame("_request_with_session", SDK, low + 1))
    assert not stacks.in_debug_block(stacks.Frame("_request_with_session", SDK, high + 500))
