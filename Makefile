# Two commands do all the set-up: `make run` and `make test`.
# Each creates .venv if it is missing and installs the project into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench sysdeps clean install-desktop uninstall-desktop screenshots

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Qt's libraries that a bare Debian/Ubuntu machine may lack; installed only when missing and root.
sysdeps:
	@if ! ldconfig -p | grep -q 'libEGL.so.1' || ! ldconfig -p | grep -q 'libfontconfig.so.1' \
	    || ! ldconfig -p | grep -q 'libxkbcommon.so.0'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 >/dev/null; \
	  else echo "Qt needs libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 (see README)"; fi; \
	fi

run: $(STAMP)
	$(PY) main.py $(ARGS)

test: sysdeps $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# The README's and the help's pictures, from the real window at 1366x768 and 1920x1080 (each in
# its own virtual X screen when xvfb-run is installed; otherwise drawn offscreen).
screenshots: $(STAMP)
	$(PY) tools/screenshots.py

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m convlab.bench all

# Linux: ConvLab in the applications menu, with its icon (in ~/.local/share; no root needed).
install-desktop: $(STAMP)
	$(PY) -m convlab.desktop install

uninstall-desktop: $(STAMP)
	$(PY) -m convlab.desktop uninstall

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
