# 述职报告档案 — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install demo serve test browser converters score bench soak soak-cluster clean opensearch opensearch-stop

$(VENV)/.installed: pyproject.toml
	@echo "setting up $(VENV) (Python virtual environment)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "installing the archive and its dependencies into $(VENV) (about a minute the first time)"
	@$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(VENV)/.installed

## Set up, import the bundled samples in import/, serve them on http://$(HOST):$(PORT)
demo: install
	@echo "importing the samples in import/ into $(DATA)/"
	@$(BIN)/archive --data $(DATA) import import/ || [ $$? -eq 1 ]
	@$(BIN)/archive --data $(DATA) serve --host $(HOST) --port $(PORT)

serve: install
	@$(BIN)/archive --data $(DATA) serve --host $(HOST) --port $(PORT)

## Debian's chromium for the browser tests (installed when we are root; skipped tests otherwise)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped (apt-get install chromium)"; fi; }

## Debian's converters for Word, legacy Word/WPS and scanned files, and a CJK font for the PDF tests
## (installed when we are root; without them those files fail with a reason and their tests are skipped)
## LibreOffice (Writer without a GUI) reads the .doc/.wps files antiword cannot; it installed in 14 s here.
converters:
	@missing=""; \
	command -v antiword >/dev/null 2>&1 || missing="$$missing antiword"; \
	command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr"; \
	{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; } || missing="$$missing tesseract-ocr-chi-sim"; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-writer-nogui"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "not installed:$$missing — .doc/.wps and scanned files will fail with a reason, their tests are skipped (apt-get install$$missing)"; fi; \
	fi

## Set up and run the test suite (beside an OpenSearch node, started for it and stopped after)
test: install browser converters
	@echo "running the test suite"
	@$(BIN)/python -m tests.support.opensearch run -- $(BIN)/pytest -q

## A local OpenSearch node for the opensearch engine (fetched once from Maven Central; OPENSEARCH_PORT, default 9200)
opensearch: install
	@$(BIN)/python -m tests.support.opensearch start

opensearch-stop: install
	@$(BIN)/python -m tests.support.opensearch stop

## Import the samples in import/ into a temporary archive and score them against their truth
score: install
	$(BIN)/python -m tests.score

## Benchmarks (not part of the test suite): BENCH_ARGS="--sizes 1000 10000" make bench
## then both engines side by side beside an OpenSearch node: ENGINES_BENCH_ARGS="--sizes 1000 10000"
bench: install
	$(BIN)/python -m tests.bench $(BENCH_ARGS)
	$(BIN)/python -m tests.support.opensearch run -- $(BIN)/python -m tests.bench.engines $(ENGINES_BENCH_ARGS)

## Long reliability runs: hostile corpus, kill -9 trials, soak under import
soak: install
	$(BIN)/python -m tests.soak $(SOAK_ARGS)

## Three OpenSearch nodes on loopback, one SIGKILLed under 8 searching clients and an import
soak-cluster: install
	$(BIN)/python -m tests.soak.cluster $(SOAK_CLUSTER_ARGS)

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache test-artifacts
