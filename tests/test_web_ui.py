"""A person approves in the Temporal Web UI, driven in headless Chromium: find the waiting run
in the `AgentStatus="awaiting_approval"` list, read what it waits for in its current details,
send `approve` through "Send a Signal", see the run complete. Screenshots go to
`tests/artifacts/`."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from agent_continuations.agent_definitions import AgentCatalog
from agent_continuations.agent_runs import start_run
from agent_continuations.plugin import agent_data_converter
from agent_continuations.shared import RunOptions
from agent_continuations.workflows import SEARCH_ATTRIBUTE_KEYS, decision_signal_input
from helpers import SHARED_AGENTS, running_worker, wait_for_pending
from test_example_agents import PROMPT

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAITING_QUERY = 'AgentStatus="awaiting_approval"'
UI_TIMEOUT_MS = 15_000
SIGNAL_INPUT = re.compile(r"send signal approve or reject with (\{.*\})")


@pytest.fixture
def chromium() -> str:
    """Debian's chromium (`.ci/run` installs it); the test skips, loudly, without one."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is missing: pip install -e '.[test]'"
    if reason is None and found is None:
        reason = "no chromium to drive the Web UI with: apt-get install -y chromium"
    if reason:
        warnings.warn(f"SKIPPED the Web UI test: {reason}", stacklevel=1)
        pytest.skip(reason)
    assert found is not None
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest_asyncio.fixture
async def ui_env() -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    """A dev server of the test's own, with its Web UI and the agent search attributes; and
    the UI's address."""
    temporal = shutil.which("temporal", path=str(Path(sys.executable).parent))
    ui_port = _free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal or shutil.which("temporal"),
        data_converter=agent_data_converter(),
        ui=True,
        ui_port=ui_port,
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        dev_server_extra_args=["--ui-disable-news-fetch"],
    )
    yield env, f"http://127.0.0.1:{ui_port}"
    await env.shutdown()


async def test_approve_from_the_web_ui(chromium, ui_env, task_queue):
    from playwright.async_api import async_playwright, expect

    env, ui = ui_env
    ARTIFACTS.mkdir(exist_ok=True)
    client = env.client
    async with running_worker(client, task_queue), async_playwright() as playwright:
        handle = await start_run(  # as the starter does: the run's page shows the agent tree
            client,
            "hr_agent",
            PROMPT,
            task_queue=task_queue,
            options=RunOptions(search_attributes=True),
            agents=AgentCatalog(SHARED_AGENTS),
        )
        [entry] = await wait_for_pending(handle)
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            # The saved query of every run that waits for a person.
            await page.goto(f"{ui}/namespaces/default/workflows?query={quote(WAITING_QUERY)}")
            link = page.get_by_role("link", name=handle.id, exact=True)
            await expect(link).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "web-ui-1-awaiting-approval.png")
            await link.click()
            # The timeline names each model call's agent, turn and model, and each tool call.
            await expect(page.get_by_text("hr_agent turn 1: scripted")).to_be_visible()
            await expect(page.get_by_text("hr_agent: send_email_tool (call_")).to_be_visible()

            await page.get_by_test_id("user-metadata-tab").filter(visible=True).click()
            # The UI renders summary, details and current details, Markdown, in sandboxed frames.
            frames = page.frame_locator("iframe")
            await expect(frames.nth(0).locator("body")).to_contain_text(f"hr_agent: {PROMPT[:40]}")
            await expect(frames.nth(1).locator("body")).to_contain_text("How to decide.")
            await expect(frames.nth(1).locator("body")).to_contain_text("account_agent, sub-agent")
            details = frames.nth(2).locator("body")
            await expect(details).to_contain_text("Waiting for 1 decision(s)")
            await page.screenshot(path=ARTIFACTS / "web-ui-2-current-details.png")
            shown = " ".join((await details.inner_text()).split())
            found = SIGNAL_INPUT.search(shown)
            assert found, shown
            signal_input = json.loads(found.group(1))  # as a person copies it
            assert signal_input == decision_signal_input(entry)

            await (
                page.locator('button[aria-controls="workflow-actions"]')
                .filter(has_text="More Actions", visible=True)
                .click()
            )
            await page.get_by_test_id("signal-button").filter(visible=True).click()
            modal = page.get_by_test_id("signal-confirmation-modal").filter(visible=True)
            await modal.get_by_test_id("signal-select-button").click()
            # Each signal says what it does; the internal ones, that they are internal.
            approve = modal.get_by_role("option").filter(has_text="Approve a waiting tool call")
            await expect(approve).to_contain_text("approve")
            internal = modal.get_by_role("option").filter(has_text="apply_decision")
            await expect(internal).to_contain_text("Internal: sent within the run's agent tree")
            await page.screenshot(path=ARTIFACTS / "web-ui-3-signals.png")
            await approve.click()
            await modal.get_by_role("textbox", name="Data").click()
            await page.keyboard.insert_text(json.dumps(signal_input))
            await page.screenshot(path=ARTIFACTS / "web-ui-4-send-signal.png")
            await modal.get_by_test_id("confirm-modal-button").click()

            output = await handle.result()
            assert output.end_reason == "completed"
            [decision] = output.decisions
            assert decision.approved and decision.path_ids == entry["path_ids"]
            await page.reload()
            status = page.get_by_test_id("execution-status").filter(visible=True).first
            await expect(status).to_contain_text("Completed", ignore_case=True)
            await page.screenshot(path=ARTIFACTS / "web-ui-5-completed.png")
        except Exception:
            await page.screenshot(path=ARTIFACTS / "web-ui-failure.png", full_page=True)
            raise
        finally:
            await browser.close()
