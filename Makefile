# essaycast: `make demo` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COQUI_VENV := .venv-coqui
COQUI_STAMP := $(COQUI_VENV)/.installed

.PHONY: demo test test-coqui lint bench browser mutate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/essaycast make script/sample-essay.txt --cast samantha --site output

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench

# Headless Chromium for the site test (Debian package; installed once, as the test set-up).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the browser test will be skipped"; }

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -m "not coqui"

# The optional Coqui backend lives in its own venv: CPU torch from local disk first, then coqui-tts
# with torch pinned by a constraints file. PyPI's torchaudio links CUDA libraries that a CPU torch
# lacks; without its native libraries it imports as pure Python, all TTS inference uses (docs/coqui.md).
TORCHAUDIO_NATIVE := import importlib.util as u, pathlib as p; \
  [f.unlink() for f in p.Path(u.find_spec("torchaudio").origin).parent.glob("lib/*.so")]
$(COQUI_STAMP): pyproject.toml constraints/coqui.txt
	test -x $(COQUI_VENV)/bin/python || $(PYTHON) -m venv $(COQUI_VENV)
	$(COQUI_VENV)/bin/python -m pip install -q --upgrade pip
	$(COQUI_VENV)/bin/python -m pip install -q -c constraints/coqui.txt torch
	$(COQUI_VENV)/bin/python -m pip install -q -c constraints/coqui.txt -e '.[dev,coqui]'
	$(COQUI_VENV)/bin/python -c '$(TORCHAUDIO_NATIVE)'
	$(COQUI_VENV)/bin/python -c 'import TTS.api'
	touch $(COQUI_STAMP)

test-coqui: $(COQUI_STAMP)
	$(COQUI_VENV)/bin/python -m pytest -m coqui

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Mutation testing (mutmut) of the modules that guard correctness, one module at a time with the
# tests that exercise it, each time-boxed (MUTATE_MINUTES, default 20; a stopped module goes on from
# there next time). Not part of `make test`. `make mutate MUTATE="cache-key pause"` runs some targets
# (tests/mutate.py lists them); results in .mutate/, explained in docs/testing.md.
mutate: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,mutate]'
	nice -n 10 $(BIN)/python tests/mutate.py $(MUTATE)

clean:
	rm -rf $(VENV) $(COQUI_VENV) .pytest_cache .ruff_cache .mutate
