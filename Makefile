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

# The two mypy runs (everything, and --strict over the package) check with different options,
# so they keep separate caches (one shared cache would be invalidated by each in turn) and run
# side by side; lint fails if either fails.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/mypy --cache-dir .mypy_cache/default & normal=$$!; \
	$(BIN)/mypy --strict --cache-dir .mypy_cache/strict treadctl simulators; strict=$$?; \
	wait $$normal; normal=$$?; \
	echo "mypy: $$( [ $$normal = 0 ] && echo passed || echo FAILED ); mypy --strict treadctl simulators: $$( [ $$strict = 0 ] && echo passed || echo FAILED )"; \
	[ $$normal = 0 ] && [ $$strict = 0 ]

# Most of the slow tests wait on the wall clock (real child processes, signals, a browser), so
# the suite runs on PYTEST_WORKERS processes (pytest-xdist), more than there are cores; idle
# workers steal queued tests from busy ones. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 4
test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

# The long run of the stateful safety proof (tests/test_safety_stateful.py): SOAK_EXAMPLES random
# sessions instead of CI's 60; prints how many ran and every violation found.
SOAK_EXAMPLES ?= 2000
soak: $(BIN)/.installed
	TREADCTL_SOAK_EXAMPLES=$(SOAK_EXAMPLES) $(BIN)/pytest tests/test_safety_stateful.py -q -s --timeout 0

bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
