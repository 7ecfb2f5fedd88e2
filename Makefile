# The two quick-start commands: `make run` (train PPOExpert through rl_zoo3) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Pretrained RL Zoo experts for the tests that need them (they skip with a reason where absent).
SB3_AGGREVATED_EXPERTS ?= $(abspath ../shared/experts)
export SB3_AGGREVATED_EXPERTS
# Where torch comes from: empty = pip's own configuration (these machines' pip finds the CPU wheel in its
# find-links); on a standard PyPI setup, `make TORCH_INDEX=https://download.pytorch.org/whl/cpu run` takes the CPU
# wheel, where plain PyPI would give the Linux CUDA build (several GB).
TORCH_INDEX ?=

.PHONY: install test run lint

$(VENV)/.deps: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first (the CPU wheel: see TORCH_INDEX), or the package's requirement pulls several GB of CUDA builds
	$(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q ".[tests]"
	touch $@

install: $(VENV)/.deps
	# a regular (not editable) install of the current sources, as users get it
	$(PY) -m pip install -q --no-deps --force-reinstall .

test: install
	$(PY) -m pytest -q tests

lint: install
	$(PY) -m pip install -q ruff mypy
	$(PY) -m ruff check sb3_aggrevated tests benchmarks docs/bench
	$(PY) -m mypy sb3_aggrevated --ignore-missing-imports

# The main job: PPOExpert through rl_zoo3 on Pendulum-v1 with the expert shipped in the package (offline),
# then the learner's and the expert's returns on the same evaluation episodes.
run: install
	$(PY) -m rl_zoo3.train --algo ppo_expert --env Pendulum-v1 -f logs --seed 1 --eval-freq -1 --device cpu
	$(PY) -m sb3_aggrevated.evaluate --env Pendulum-v1 -f logs -n 10
