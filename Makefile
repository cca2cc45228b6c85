# One tool for everything: `make demo` dry-runs a session on the simulator, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench soak clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sim,test,display]'
	touch $@

# The demo never touches your own history, audit logs or configuration: it runs with a fresh
# temporary TREADCTL_HOME (printed, and left there to look at).
demo: $(BIN)/.installed
	@home=$$(mktemp -d "$${TMPDIR:-/tmp}/treadctl-demo.XXXXXX") && \
	echo "make demo: a dry run on the simulator in a temporary TREADCTL_HOME=$$home (not your history)" && \
	TREADCTL_HOME="$$home" $(BIN)/treadctl run alternating-30 --simulate --fast --headless

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --strict treadctl simulators

test: lint
	$(BIN)/pytest

# The long run of the stateful safety proof (tests/test_safety_stateful.py): SOAK_EXAMPLES random
# sessions instead of CI's 60; prints how many ran and every violation found.
SOAK_EXAMPLES ?= 2000
soak: $(BIN)/.installed
	TREADCTL_SOAK_EXAMPLES=$(SOAK_EXAMPLES) $(BIN)/pytest tests/test_safety_stateful.py -q -s --timeout 0

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
