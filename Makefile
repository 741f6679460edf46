# Everything installs from nothing: the first target that needs the venv creates it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# make report JOBS=1 TIMEOUT=7200: notebooks (and test workers) at a time; seconds per cell
JOBS    ?= 2
TIMEOUT ?= 3600

.PHONY: install report experiments test test-all lint format bench clean

install: $(STAMP)

# torch first, pinned, so that the package's unpinned "torch" is already satisfied
# (here by the local CPU build; elsewhere by the standard build).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,onnx]'
	# trained weights the tests and notebook 09 use; --no-deps: only their weight files are
	# needed, and the packages' pins (torch<2.3, torchvision, librosa) would replace this
	# torch. pip then prints a "dependency resolver" block naming those pins: expected.
	$(PY) -m pip install --quiet --no-deps rapidocr-onnxruntime==1.4.4 facenet-pytorch==2.6.0 torchcrepe==0.0.24
	touch $(STAMP)

report: $(STAMP)    ## the main job: execute every notebook, write reports/*.html and *.pdf
	$(VENV)/bin/artifact-lab report --notebooks notebooks --output reports \
		--jobs $(JOBS) --timeout $(TIMEOUT)

# resumable: finished units stay in results/.checkpoints; one torch thread, niced (shared CPUs)
experiments: $(STAMP)  ## recompute the result tables in results/ that notebooks 5-8 read
	OMP_NUM_THREADS=1 nice -n 10 $(PY) -m artifact_lab.studies.experiments --results results

test: $(STAMP)      ## the fast suite (doctests, property tests, notebooks and report)
	$(PY) -m pytest -m "not slow" -n $(JOBS) --dist loadfile

test-all: $(STAMP)  ## everything, including tests marked slow
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest -n $(JOBS) --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache reports/*.html reports/*.pdf
