# One entry point for setting up and running dreamjobs. Everything lives in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is installed first and pinned: pip on machines like ours finds a local CPU build
# of this exact release; elsewhere it is PyPI's. For a CPU-only build on another Linux box:
#   make test TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

SHARED ?= ../shared/data
PORT   ?= 5000

.PHONY: setup test demo corpus clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install $(TORCH)
	$(BIN)/pip install -e .
	touch $@

# The test tools (pytest, selenium, ...) only for the tests, not for the demo.
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -e ".[test]"
	touch $@

setup: $(STAMP)

# The suite on one worker per core (pytest-xdist): about half the time on two cores.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n auto

# The gallery on the shipped demo model (and every run under checkpoints/). The sampler
# keeps postings from copying the corpus a model was trained on when that corpus is at
# hand, so the demo's is built first from ../shared/data when it is there (about 30 s, once).
demo: $(STAMP)
	@if [ ! -f corpus/input.txt ] && [ -d $(SHARED) ]; then $(MAKE) corpus; fi
	$(BIN)/python -m webapp --host 127.0.0.1 --port $(PORT)

# The training corpus from every saved source in ../shared/data, all cities and titles.
corpus: $(STAMP)
	$(BIN)/python -m scraper --source themuse --from-file $(SHARED)/themuse/*.json
	$(BIN)/python -m scraper --source csv --file $(SHARED)/glassdoor/glassdoor_jobs.csv
	$(BIN)/python -m scraper --source greenhouse --from-file $(SHARED)/ats/greenhouse_luno_jobs.json
	$(BIN)/python -m scraper --source lever --from-file $(SHARED)/ats/lever_moo_jobs.json

clean:
	rm -rf $(VENV) .pytest_cache
