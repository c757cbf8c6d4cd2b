# The two README commands are `make demo` and `make test`; each does all set-up first.
.PHONY: audit setup setup-test demo test test-fast check bench bench-bus cluster clean

UV_RUN = uv run --frozen
DATA_DIR ?= ./cbec-data

setup:
	@scripts/setup

setup-test:
	@scripts/setup --test

demo: setup
	$(UV_RUN) cbec demo --data-dir $(DATA_DIR)

test: setup-test
	CBEC_REQUIRE_POSTGRES=1 CBEC_REQUIRE_NATS=1 $(UV_RUN) pytest -n 2 -q

test-fast: setup
	$(UV_RUN) pytest -q -m "not integration and not e2e and not slow and not cluster"

# three nats-servers (JetStream, R3), a throwaway PostgreSQL and WORKERS `cbec node` processes on
# this machine, until Ctrl-C; it prints the commands that load it (docs/scale-out.md)
WORKERS ?= 3
cluster: setup-test
	$(UV_RUN) python -m tests.natscluster --workers $(WORKERS)

check: setup
	$(UV_RUN) ruff check src tests bench
	$(UV_RUN) ruff format --check src tests bench
	$(UV_RUN) mypy
	$(UV_RUN) lint-imports
	$(UV_RUN) pytest -q tests/unit/test_house.py

# known vulnerabilities of the locked dependencies (PyPI's advisory data). --strict fails when a
# dependency cannot be audited: on a machine whose package index serves no advisory data (these
# build machines: every package "not found on PyPI") it fails rather than pass without looking.
audit: setup
	$(UV_RUN) pip-audit --strict --progress-spinner off

bench: setup-test
	$(UV_RUN) python bench/intake.py
	$(UV_RUN) python bench/customs.py
	$(UV_RUN) python bench/sandbox.py
	$(UV_RUN) python bench/api.py
	$(UV_RUN) python bench/scaleout.py
	$(UV_RUN) python bench/writes.py
	$(UV_RUN) python bench/e2e.py --orders 10000 --db both

# the bus: messages/s through the three-server cluster and orders/s with 1, 2, 4 workers
bench-bus: setup-test
	$(UV_RUN) python bench/bus.py

clean:
	rm -rf $(DATA_DIR) bench/out test-artifacts
