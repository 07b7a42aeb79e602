# The course's two commands:  `make lab` (open the course)  and  `make test` (run every test).
# Both create a local virtual environment in .venv on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch. Here `torch==2.13.0` resolves to a local CPU wheel. Elsewhere on Linux pass
#   make lab TORCH_INSTALL_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_INSTALL_ARGS ?=

.PHONY: lab test demo bench claims experts clean-venv

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH_INSTALL_ARGS) torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

lab: $(BIN)/.installed
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

test: $(BIN)/.installed
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

# The classroom demo as a Voilà app on this machine only: open http://127.0.0.1:$(DEMO_PORT)/
DEMO_PORT ?= 8866
demo: $(BIN)/.installed
	$(BIN)/voila notebooks/classroom_demo.ipynb --Voila.ip=127.0.0.1 --Voila.port=$(DEMO_PORT) --no-browser

bench: $(BIN)/.installed
	$(BIN)/python -m gail_helpers.bench

# Every notebook's claims re-checked on other seed sets and float kernels (not part of `make test`).
claims: $(BIN)/.installed
	$(BIN)/python -m gail_helpers.claims_check

experts: $(BIN)/.installed
	$(BIN)/python -m gail_helpers.experts

clean-venv:
	rm -rf $(VENV)
