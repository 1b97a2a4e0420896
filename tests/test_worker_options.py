"""The worker's cache and slot settings: `--max-...` flags, `AGENT_WORKER_...` variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_continuations.worker import (
    PINNED_BY_DEFAULT,
    build_parser,
    deployment_config,
    worker_options,
)
from helpers import one_error_line, worker_process

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def options(*argv: str, **environ: str) -> dict:
    return dict(worker_options(build_parser().parse_args(list(argv)), environ))


def test_unset_settings_keep_the_sdks_defaults():
    assert options() == {}
    assert options(AGENT_WORKER_MAX_CACHED_WORKFLOWS="") == {}


def test_flags_and_variables_become_worker_arguments():
    assert options(
        "--max-cached-workflows",
        "100",
        "--max-concurrent-workflow-tasks",
        "8",
        "--max-concurrent-activities",
        "50",
    ) == {
        "max_cached_workflows": 100,
        "max_concurrent_workflow_tasks": 8,
        "max_concurrent_activities": 50,
    }
    assert options(
        AGENT_WORKER_MAX_CACHED_WORKFLOWS="200",
        AGENT_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS="4",
        AGENT_WORKER_MAX_CONCURRENT_ACTIVITIES=" 7 ",
    ) == {
        "max_cached_workflows": 200,
        "max_concurrent_workflow_tasks": 4,
        "max_concurrent_activities": 7,
    }


def test_a_worker_is_a_deployment_version_with_both_names_and_unversioned_without():
    def config(*argv: str, **environ: str):
        return deployment_config(build_parser().parse_args(list(argv)), environ)

    assert config() is None
    assert config(AGENT_WORKER_DEPLOYMENT="", AGENT_WORKER_BUILD_ID="") is None
    by_flags = config("--deployment", "agents", "--build-id", "v2")
    assert by_flags is not None
    assert by_flags.version.to_canonical_string() == "agents.v2"
    assert by_flags.use_worker_versioning
    assert by_flags.default_versioning_behavior == PINNED_BY_DEFAULT
    by_env = config(
        "--build-id", "v3", AGENT_WORKER_DEPLOYMENT="agents", AGENT_WORKER_BUILD_ID="v1"
    )
    assert by_env is not None and by_env.version.to_canonical_string() == "agents.v3"
    with pytest.raises(ValueError, match="go together"):
        config(AGENT_WORKER_BUILD_ID="v1")


def test_a_flag_overrides_its_variable():
    got = options("--max-cached-workflows", "5", AGENT_WORKER_MAX_CACHED_WORKFLOWS="9")
    assert got == {"max_cached_workflows": 5}


@pytest.mark.parametrize(
    ("argv", "environ", "problem"),
    [
        (
            ["--max-cached-workflows", "lots"],
            {},
            "--max-cached-workflows must be a positive integer, not 'lots'",
        ),
        (
            ["--max-concurrent-activities", "0"],
            {},
            "--max-concurrent-activities must be a positive integer, not '0'",
        ),
        (
            ["--max-concurrent-workflow-tasks", "1"],
            {},
            "--max-concurrent-workflow-tasks must be an integer of at least 2, not '1'",
        ),
        (
            [],
            {"AGENT_WORKER_MAX_CACHED_WORKFLOWS": "-3"},
            "AGENT_WORKER_MAX_CACHED_WORKFLOWS must be a positive integer, not '-3'",
        ),
        (
            [],
            {"AGENT_WORKER_MAX_CONCURRENT_ACTIVITIES": "2.5"},
            "AGENT_WORKER_MAX_CONCURRENT_ACTIVITIES must be a positive integer, not '2.5'",
        ),
    ],
)
def test_a_bad_value_is_refused(argv, environ, problem):
    with pytest.raises(ValueError) as raised:
        options(*argv, **environ)
    assert str(raised.value) == problem


@pytest.mark.parametrize(
    ("argv", "environ", "problem"),
    [
        (
            ["--max-cached-workflows", "many"],
            {},
            "error: --max-cached-workflows must be a positive integer, not 'many'",
        ),
        (
            [],
            {"AGENT_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": "1"},
            "error: AGENT_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be an integer of at least 2, "
            "not '1'",
        ),
        (
            [],
            {"AGENT_MAX_RESULT_BYTES": "5MB"},
            "error: AGENT_MAX_RESULT_BYTES must be a positive number of bytes, not '5MB'",
        ),
        (
            ["--deployment", "agents"],
            {},
            "error: --deployment (AGENT_WORKER_DEPLOYMENT) and --build-id (AGENT_WORKER_BUILD_ID) "
            "go together: set both or neither",
        ),
        (
            [],
            {"AGENT_WORKER_DEPLOYMENT": "agents.prod", "AGENT_WORKER_BUILD_ID": "v1"},
            "error: the deployment name may not hold a dot: 'agents.prod'",
        ),
        (
            [],
            {"AGENT_WORKER_SECRETS": "k1:too-short"},
            "error: AGENT_WORKER_SECRETS: worker secret 'k1' must have at least 16 characters",
        ),
    ],
)
def test_the_worker_refuses_a_bad_value_in_one_line(tmp_path, argv, environ, problem):
    # No server at this address: the worker must refuse the value before it connects.
    done = subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), "--address", "localhost:1", *argv],
        cwd=tmp_path,
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1
    assert one_error_line(done.stderr) == problem


def test_the_worker_refuses_a_payload_store_it_cannot_use(address, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    done = subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), "--address", address],
        cwd=tmp_path,
        env={**os.environ, "AGENT_PAYLOAD_STORE": str(not_a_directory)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert line.startswith("error: payload store 'local': ") and "AGENT_PAYLOAD_STORE" in line


def test_the_worker_runs_with_its_settings(address, task_queue, tmp_path):
    argv = ["--address", address, "--task-queue", task_queue]
    argv += ["--max-cached-workflows", "50", "--max-concurrent-activities", "20"]
    env = {"AGENT_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": "3"}
    with worker_process(argv, tmp_path, env) as (_, line):
        assert line.rstrip().endswith(
            "max_cached_workflows=50, max_concurrent_workflow_tasks=3, max_concurrent_activities=20"
        )
