# Set-up and everyday commands. `make` builds the default guide; `make test` runs the suite.
# Both create the virtual environment and install system packages on first use (the
# package is installed editable: `studyguide` is .venv/bin/studyguide). `make wheel`
# builds the installable wheel into dist/.
PY      := .venv/bin/python
STAMP   := .venv/.installed
APT_BUILD := fonts-linuxlibertine fonts-dejavu-core fonts-liberation2 libharfbuzz-subset0
APT_TEST  := poppler-utils qpdf calibre "default-jre-headless|java" chromium "npm|npm"

.PHONY: build test test-oldest test-newest watch bench wheel clean system-build system-test

build: $(STAMP) system-build
	$(PY) build.py

test: $(STAMP) system-build system-test
	$(PY) -m pytest -n 2 --dist loadfile

# The suite again on every dependency's lowest allowed version (pyproject's lower bounds).
test-oldest: system-build system-test
	python3 -m venv .venv-oldest
	scripts/lowest-constraints > .venv-oldest/constraints.txt
	.venv-oldest/bin/python -m pip install --quiet -c .venv-oldest/constraints.txt -e '.[test]'
	.venv-oldest/bin/python -m pytest -n 2 --dist loadfile

# ... and on the newest versions the ranges allow (pyproject's upper bounds: WeasyPrint
# below its next major), upgraded in place each time so that a new release is tested.
test-newest: system-build system-test
	python3 -m venv .venv-newest
	.venv-newest/bin/python -m pip install --quiet --upgrade pip
	.venv-newest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	.venv-newest/bin/python -m pytest -n 2 --dist loadfile

watch: $(STAMP) system-build
	$(PY) build.py --watch

bench: $(STAMP) system-build
	$(PY) bench/run.py
	$(PY) bench/run.py --mechanisms

# build/ first goes: setuptools would ship whatever an earlier build left in it
wheel: $(STAMP)
	rm -rf build
	$(PY) -m pip wheel --no-deps --quiet --wheel-dir dist .
	rm -rf build

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Debian packages: installed only when missing.
system-build:
	@scripts/ensure-debian-packages $(APT_BUILD)

# ... and DAISY Ace from package-lock.json, without a browser download: it runs Debian's chromium.
system-test:
	@scripts/ensure-debian-packages $(APT_TEST)
	@[ node_modules/.package-lock.json -nt package-lock.json ] || ELECTRON_SKIP_BINARY_DOWNLOAD=1 \
	  PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund

clean:
	rm -rf output .cache build dist .venv-oldest .venv-newest
