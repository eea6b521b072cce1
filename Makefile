# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL     := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV      ?= .venv
PY        := $(VENV)/bin/python
RAG       := $(VENV)/bin/rag
# uv does not read pip's configuration: hand it pip's find-links folder (the local CPU torch wheel).
FIND_LINKS := $(shell pip config get global.find-links 2>/dev/null || echo /opt/wheels)
export HF_HUB_OFFLINE := 1
# copies, not hard links into uv's cache: nltk refuses to open hard-linked data files
export UV_LINK_MODE := copy
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test eval fit bench models index lock clean browser infinity reliability ocr
BENCH := ../shared/bench

$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(VENV)/bin/uv pip sync --quiet --python $(PY) --find-links $(FIND_LINKS) requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

# Infinity, a third-party embeddings server (deploy/infinity.in says why it has its own virtualenv);
# the tests run ingest against it as a real `embed_url` server
INFINITY := .venv-infinity
$(INFINITY)/.installed: deploy/infinity.lock $(VENV)/.installed
	python3 -m venv $(INFINITY)
	$(VENV)/bin/uv pip sync --quiet --python $(INFINITY)/bin/python --find-links $(FIND_LINKS) deploy/infinity.lock
	touch $@
infinity: $(INFINITY)/.installed

models: $(VENV)/.installed
	$(RAG) models fetch

# Tesseract and its Japanese, Russian and English packs (Debian's), which read the pages of a scanned PDF
# (index/ocr.py); without them such a file is reported as not indexed, with the reason
ocr:
	@command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -q '^jpn$$' && tesseract --list-langs 2>/dev/null | grep -q '^rus$$' || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	   tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-jpn tesseract-ocr-rus >/dev/null) || \
	  echo "warning: could not install Tesseract; scanned PDFs will not be indexed, and the tests that need it will be skipped"

# exit status 3: the index is built, but some files were not indexed (listed with their reasons)
index: models ocr
	$(RAG) ingest || [ $$? -eq 3 ]

run: index
	$(RAG) serve

KNOWN_FACTS := eval/sets/known_facts.jsonl
# the tests, the gate and the eval read their own copy of the seed documents, never the user's corpus/
SEEDS := tests/fixtures/corpus

# Debian's Chromium (Playwright's own download cannot work offline) and CJK fonts, for the browser tests,
# and LibreOffice Writer (headless), which prints the eval's word-processor PDFs (eval.formats' pdf-writer)
browser:
	@command -v chromium >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1 && fc-list :lang=ja 2>/dev/null | grep -q . || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui >/dev/null) || \
	  echo "warning: could not install chromium or LibreOffice; the tests that need them will be skipped"

# the eval gate first (deterministic, extractive), then the whole suite
test: models browser infinity ocr
	$(RAG) eval --set $(KNOWN_FACTS) --corpus $(SEEDS) --llm none --gate eval/baseline.json --json eval/reports/known_facts-none.json
	$(PY) -m pytest -q

# the full eval, one report (eval/reports/summary.md): every run names its half and whether it was tuned on.
# Dev (tuned on): known facts, fresh-dev's dev half, the bench sets' dev halves; held out: fresh-dev's other half and the bench sets'
# held-out halves, answered over their corpus less a quarter of the articles (those questions must abstain).
FRESH := ../shared/fresh-dev
comma := ,
FRESH_CORPUS := --corpus $(SEEDS)$(comma)$(FRESH)/corpus
REPORTS := eval/reports
EVAL_RUN = $(RAG) eval --set $(1) --llm $(2) $(3) --json $(REPORTS)/$(4).json | tee $(REPORTS)/$(4).md
eval: models
	$(call EVAL_RUN,$(KNOWN_FACTS),none,--corpus $(SEEDS),known_facts-none)
	$(call EVAL_RUN,$(KNOWN_FACTS),local,--corpus $(SEEDS),known_facts-local)
	$(call EVAL_RUN,$(FRESH)/eval.jsonl,none,$(FRESH_CORPUS) --split dev,fresh-dev-dev-none)
	$(call EVAL_RUN,eval/sets/context_questions.jsonl,none,$(FRESH_CORPUS),context_questions-none)
	$(call EVAL_RUN,eval/sets/follow_ups.jsonl,none,$(FRESH_CORPUS),follow_ups-none)
	$(call EVAL_RUN,$(FRESH)/eval.jsonl,none,$(FRESH_CORPUS) --split heldout,fresh-dev-heldout-none)
	$(call EVAL_RUN,$(FRESH)/eval.jsonl,local,$(FRESH_CORPUS) --split heldout,fresh-dev-heldout-local)
	$(call EVAL_RUN,$(BENCH)/xquad-ru-dev.jsonl,none,--corpus $(BENCH)/corpus/xquad-ru-dev --split heldout --withhold,xquad-ru-heldout-none)
	$(call EVAL_RUN,$(BENCH)/xquad-en2ru-dev.jsonl,none,--corpus $(BENCH)/corpus/xquad-ru-dev --split heldout --withhold,xquad-en2ru-heldout-none)
	$(call EVAL_RUN,$(BENCH)/jsquad-valid.jsonl,none,--corpus $(BENCH)/corpus/jsquad-valid --split heldout --withhold,jsquad-heldout-none)
	$(call EVAL_RUN,$(BENCH)/xquad-ru-dev.jsonl,none,--corpus $(BENCH)/corpus/xquad-ru-dev --split dev --withhold,xquad-ru-dev-none)
	$(call EVAL_RUN,$(BENCH)/xquad-en2ru-dev.jsonl,none,--corpus $(BENCH)/corpus/xquad-ru-dev --split dev --withhold,xquad-en2ru-dev-none)
	$(call EVAL_RUN,$(BENCH)/jsquad-valid.jsonl,none,--corpus $(BENCH)/corpus/jsquad-valid --split dev --withhold,jsquad-dev-none)
	$(PY) -m eval.summary $(REPORTS)/*.json | tee $(REPORTS)/summary.md

# refit the evidence scorer (rag/evidence_model.json) on the dev halves
fit:
	$(PY) -m eval.fit_evidence

# retrieval on the shared bench sets: hybrid, dense, lexical and the plain llama-index baseline, side by side
BENCH_MODES := --retrieval-only --modes hybrid,dense,lexical,llamaindex
bench: models
	$(RAG) eval --set $(BENCH)/xquad-ru-dev.jsonl --corpus $(BENCH)/corpus/xquad-ru-dev $(BENCH_MODES) --json eval/reports/bench-xquad-ru-dev.json | tee eval/reports/bench-xquad-ru-dev.md
	$(RAG) eval --set $(BENCH)/xquad-en2ru-dev.jsonl --corpus $(BENCH)/corpus/xquad-ru-dev $(BENCH_MODES) --json eval/reports/bench-xquad-en2ru-dev.json | tee eval/reports/bench-xquad-en2ru-dev.md
	$(RAG) eval --set $(BENCH)/jsquad-valid.jsonl --corpus $(BENCH)/corpus/jsquad-valid $(BENCH_MODES) --json eval/reports/bench-jsquad-valid.json | tee eval/reports/bench-jsquad-valid.md
	$(PY) bench/retrieval_speed.py --corpus $(BENCH)/corpus/xquad-ru-dev --set $(BENCH)/xquad-ru-dev.jsonl | tee eval/reports/bench-speed.md

# hostile files, kill -9, 50 concurrent sessions, a 10-minute soak, injected instructions (local LLM):
# one table (bench/reliability.py; `make test` runs its quick size)
reliability: models
	$(PY) bench/reliability.py --json eval/reports/reliability.json | tee eval/reports/reliability.md

lock:
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --find-links $(FIND_LINKS) -o requirements.lock
	$(VENV)/bin/uv pip compile deploy/infinity.in --python-version 3.11 --find-links $(FIND_LINKS) -o deploy/infinity.lock

clean:
	rm -rf $(VENV) $(INFINITY) data
