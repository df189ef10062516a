# lrpstudio — every command a developer or CI needs. `make run` and `make test` are
# the README's two commands; both create the virtual environment on first use and
# are quick the second time (the environment is rebuilt only when pyproject.toml changes).
# `make test` runs the code checks (`make lint`) first, then the test suite.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# torch and torchvision are installed first, as a pinned pair: zennit imports
# torchvision, and only this pair imports together on this platform.
TORCH  := torch==2.14.1 torchvision==0.29.1
export QT_API := pyside6

.PHONY: run test lint bench package package-test clean-venv help

help:
	@echo "make run      set up and launch the desktop app on the demo data"
	@echo "make test     set up, check the code (make lint), then run the whole test suite (offscreen)"
	@echo "make lint     the code checks alone: import contracts, ruff, mypy"
	@echo "make bench    run every benchmark and print one table"
	@echo "make package  build the one-folder desktop bundle (PyInstaller)"
	@echo "make package-test  rebuild the bundle from a clean venv and run its frozen self-test"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lrpstudio needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]' $(TORCH)
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/lrpstudio gui

# The layer contracts (core < app < gui | cli, no circles in the core), ruff and mypy;
# their settings are in pyproject.toml.
lint: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check lrpstudio tests benchmarks
	$(BIN)/mypy

test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean-venv:
	rm -rf $(VENV)

# -- desktop bundle (PyInstaller one-folder; see packaging/README.md) --------------------
# The bundle is built from its own virtual environment so nothing of the development
# .venv (test tools, editable install) leaks into it; `make package-test` rebuilds that
# environment from scratch, builds, and runs the frozen self-test with no Python on PATH.
PKG_VENV   ?= packaging/build/venv
PKG_BIN    := $(PKG_VENV)/bin
PKG_STAMP  := $(PKG_VENV)/.installed-stamp
PKG_DIST   ?= packaging/dist
PKG_WORK   ?= packaging/build/work
PKG_REPORT ?= packaging/build/selftest-report.json
# A CPU-only bundle (~4x smaller): build it from CPU torch wheels, e.g.
#   make package PKG_VENV=packaging/build/venv-cpu PKG_TORCH_INDEX=https://download.pytorch.org/whl/cpu
PKG_TORCH_INDEX ?=
# PKG_TARBALL=0 skips the Linux .tar.gz (gzip of the CUDA bundle takes ~6 min on 2 cores).
PKG_TARBALL ?= 1

$(PKG_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lrpstudio needs Python >= 3.11")'
	test -x $(PKG_BIN)/python || $(PYTHON) -m venv $(PKG_VENV)
	$(PKG_BIN)/python -m pip install --quiet --upgrade pip
	$(PKG_BIN)/python -m pip install --quiet $(if $(PKG_TORCH_INDEX),--index-url $(PKG_TORCH_INDEX)) $(TORCH)
	$(PKG_BIN)/python -m pip install --quiet '.[package]' $(TORCH)
	touch $(PKG_STAMP)

package: $(PKG_STAMP)
	@start=$$(date +%s); \
	$(PKG_BIN)/python -m PyInstaller --noconfirm --clean --log-level WARN \
		--distpath $(PKG_DIST) --workpath $(PKG_WORK) packaging/lrpstudio.spec && \
	echo "bundle built in $$(( $$(date +%s) - start )) s: $$(du -sh $(PKG_DIST)/lrpstudio | cut -f1) $(PKG_DIST)/lrpstudio"
	@if [ "$$(uname -s)" = Linux ] && [ "$(PKG_TARBALL)" = 1 ]; then sh packaging/linux/make_tarball.sh $(PKG_DIST); fi

package-test:
	rm -rf $(PKG_VENV) $(PKG_DIST) $(PKG_WORK)
	$(MAKE) package
	home=$$(mktemp -d); \
	env -i PATH=/usr/bin:/bin HOME="$$home" LRPSTUDIO_HOME="$$home" QT_QPA_PLATFORM=offscreen \
		$(PKG_DIST)/lrpstudio/lrpstudio --self-test --report $(PKG_REPORT); \
	rc=$$?; rm -rf "$$home"; exit $$rc
