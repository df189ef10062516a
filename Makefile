# lrpstudio — every command a developer or CI needs. `make run` and `make test` are
# the README's two commands; both create the virtual environment on first use and
# are quick the second time (the environment is rebuilt only when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# torch and torchvision are installed first, as a pinned pair: zennit imports
# torchvision, and only this pair imports together on this platform.
TORCH  := torch==2.14.1 torchvision==0.29.1
export QT_API := pyside6

.PHONY: run test bench package package-test clean-venv help

help:
	@echo "make run      set up and launch the desktop app on the demo data"
	@echo "make test     set up and run the whole test suite (offscreen)"
	@echo "make bench    run every benchmark and print one table"
	@echo "make package  build the one-folder desktop bundle (PyInstaller)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lrpstudio needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]' $(TORCH)
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/lrpstudio gui

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean-venv:
	rm -rf $(VENV)
