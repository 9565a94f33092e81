# Two commands do all the set-up: `make run` and `make test`. Both create .venv when it is missing
# and reinstall only when pyproject.toml changed, so a second call is quick.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The torch build to install when the venv has none (pip's arguments). `torch==2.13.0` from PyPI
# is, on Linux x86-64, the CUDA build (several GB with its CUDA libraries); a pip configured with
# a local wheel index may give a CPU wheel instead. For the CPU-only build:
#   make TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" test
# For a given CUDA version: --index-url https://download.pytorch.org/whl/cuXYZ (pytorch.org lists
# the CUDA versions of each release).
# A venv that already has torch keeps it (remove .venv to change builds).
TORCH ?= torch==2.13.0
CORES ?= all
STAMP := $(VENV)/.installed
# The rules call the `rnnlab` command, so the venv's bin comes first on PATH for every target.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint test-cluster bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[dev,slurm,export,tracking]"
	touch $(STAMP)

# make run PRESET=quick: --configfile workflow/presets/quick.yaml; ARGS="..." go to Snakemake as
# they are (a target, --cores 2, -n, --config KEY=VALUE, ...).
PRESET ?=
ARGS ?=
PRESET_FILE := $(if $(PRESET),workflow/presets/$(PRESET).yaml)

run: $(STAMP)
	@test -z "$(PRESET)" -o -f "$(PRESET_FILE)" || { echo "make run: no preset \
	'$(PRESET)' (there is: $$(cd workflow/presets && ls *.yaml | sed 's/\.yaml$$//' | xargs))" >&2; \
	exit 2; }
	$(BIN)/snakemake --cores $(CORES) $(if $(PRESET_FILE),--configfile=$(PRESET_FILE)) $(ARGS)

# The last line is snakemake --lint less its advice to give each rule a conda env or container:
# the project is deployed as this venv, whose rnnlab every rule calls.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/python tests/lint_workflow.py

# The suite in TEST_WORKERS processes (pytest-xdist; 0: in this one). A module's tests share a
# worker (--dist loadscope), so its fixtures are built once. Two halve the time on 2 cores.
TEST_WORKERS ?= 2
test: $(STAMP) lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope

# The pipeline through the slurm-gpu profile on a real single-node Slurm (needs root; installs
# Slurm, munge and MariaDB with apt-get when missing; fails, never skips, without them); then a
# sweep through the slurm-gpu-grouped profile (several training jobs per sbatch job and GPU).
test-cluster: $(STAMP)
	VENV=$(VENV) bash tests/cluster/run.sh
	VENV=$(VENV) bash tests/cluster/grouped.sh

# Training throughput against the textbook's own loop (BENCHMARKS.md): d2l 0.17.6 from PyPI
# without its dependencies (it pins numpy 1.21, pandas 1.2 and jupyter, which the RNN chapters
# do not need; benchmarks/textbook_stubs stands in for the three modules it imports for other
# chapters), then benchmarks/throughput.py with ARGS, e.g. ARGS="--variants lstm_deep".
bench: $(STAMP)
	$(BIN)/python -c "import d2l" 2>/dev/null || $(BIN)/pip install -q --no-deps "d2l==0.17.6"
	$(BIN)/python benchmarks/throughput.py $(ARGS)

clean:
	rm -rf results/* .snakemake
