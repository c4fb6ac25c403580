# cloudcred.ec2: one entry point for setup, the demo and the tests.
#   make demo   - the AWS guide's job against the embedded LocalStack
#   make test   - the steps of scripts/run-tests (make help lists them; each starts LocalStack when it needs one)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
LS_VENV := $(ROOT)/.venv-localstack
# The collection seen as ansible_collections/cloudcred/ec2, outside the git tree's files.
COLLECTIONS := $(VENV)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/cloudcred/ec2
# ansible-lint's ANSIBLE_HOME (see lint): holds nothing but what ansible-lint makes there itself.
LINT_ANSIBLE_HOME := $(VENV)/ansible-lint-home

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export ANSIBLE_FORCE_COLOR ?= false
export ANSIBLE_NOCOLOR ?= true
export AWS_REGION ?= us-east-1
# Credentials for the embedded endpoint only; real ones in the environment win.
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test
# The embedded LocalStack's port (scripts/localstack); the playbooks' endpoint follows it unless AWS_ENDPOINT_URL
# is given: LOCALSTACK_PORT=4650 make demo starts LocalStack on 4650 and deploys to it.
export LOCALSTACK_PORT ?= 4566
export AWS_ENDPOINT_URL ?= http://127.0.0.1:$(LOCALSTACK_PORT)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup localstack-start localstack-stop localstack-status lint sanity unit molecule test demo demo-teardown clean bench reliability mutation permissions compat

help:
	@echo "make setup            virtualenvs with the pinned toolchain (idempotent)"
	@echo "make demo             deploy the AWS guide's example to the embedded LocalStack, twice"
	@echo "make demo-teardown    remove what make demo made"
	@echo "make test             the steps of scripts/run-tests: lint, sanity, unit, molecule, reliability, awx, importer, docs, compat"
	@echo "make localstack-start|localstack-status|localstack-stop"
	@echo "                      (status/stop without LOCALSTACK_PORT: every one this checkout started, on any port)"

# --- setup -----------------------------------------------------------------
# requirements/extra-*.txt: pinned additions of one area (policy catalogue, docs, AWX tools).
# requirements.txt (the collection's own Python needs, ranges) goes in too, so the tools venv always has what
# the collection declares: pip fits its ranges to the pins.
DEV_REQUIREMENTS := requirements/dev.txt $(sort $(wildcard requirements/extra-*.txt)) requirements.txt

$(VENV)/.stamp: $(DEV_REQUIREMENTS)
	@py=$$(scripts/find-python 3.12) && echo "setup: tools on $$py" && \
	  { [ -x $(VENV)/bin/python ] || "$$py" -m venv $(VENV); }
	$(VENV)/bin/python -m pip install -q pip==26.3 2>&1 | grep -v '^WARNING: Location' || true
	$(VENV)/bin/python -m pip install -q $(addprefix -r ,$(DEV_REQUIREMENTS)) 2>&1 | grep -v '^WARNING: Location' || true
	$(VENV)/bin/python -m pip check >/dev/null || { $(VENV)/bin/python -m pip check; exit 1; }
	touch $@

$(LS_VENV)/.stamp: requirements/localstack.txt tools/localstack-autoscaling/pyproject.toml $(wildcard tools/localstack-autoscaling/cloudcred_localstack_autoscaling/*.py)
	@py=$$(scripts/find-python 3.13) && echo "setup: LocalStack on $$py" && \
	  { [ -x $(LS_VENV)/bin/python ] || "$$py" -m venv $(LS_VENV); }
	$(LS_VENV)/bin/python -m pip install -q -r requirements/localstack.txt 2>&1 | grep -v '^WARNING: Location' || true
	$(LS_VENV)/bin/python -m pip install -q --force-reinstall --no-deps ./tools/localstack-autoscaling 2>&1 | grep -v '^WARNING: Location' || true
	$(LS_VENV)/bin/python -c "import localstack, cloudcred_localstack_autoscaling"
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(ROOT) $@

setup: $(VENV)/.stamp $(LS_VENV)/.stamp $(COLLECTION_LINK)

# --- embedded AWS endpoint -------------------------------------------------
# localstack-status / localstack-stop without LOCALSTACK_PORT (its value is this Makefile's default): every
# LocalStack this checkout started, on whatever port (LOCALSTACK_PORT=4650 make localstack-start included);
# with LOCALSTACK_PORT (environment or command line): the one on that port.
LOCALSTACK_SCOPE = $(if $(filter file,$(origin LOCALSTACK_PORT)),--all)
localstack-start: setup
	scripts/localstack start
localstack-stop:
	scripts/localstack stop $(LOCALSTACK_SCOPE)
localstack-status:
	scripts/localstack status $(LOCALSTACK_SCOPE)

# --- checks ----------------------------------------------------------------
# ansible-lint (offline) puts ANSIBLE_HOME/collections before ANSIBLE_COLLECTIONS_PATH: a copy of this collection
# installed in ~/.ansible (as Molecule's prerun made) would be linted instead of the tree. With an ANSIBLE_HOME
# of its own, holding no collections, the tree is the only cloudcred.ec2 it sees.
lint: setup
	ruff check .
	black --check --quiet .
	isort --check-only --quiet .
	yamllint -s .
	ANSIBLE_HOME=$(LINT_ANSIBLE_HOME) ansible-lint --profile production

sanity: setup
	scripts/sanity

# tests/unit in the tools venv; the LocalStack plugin's own tests in the LocalStack venv (its moto, Python 3.13).
unit: setup
	scripts/pytest-run tests/unit
	cd tools/localstack-autoscaling && $(LS_VENV)/bin/python -m pytest

# MOLECULE_SCENARIOS="a b": only those (default: every scenario of extensions/molecule/)
molecule: setup
	scripts/with-localstack scripts/molecule-all $(MOLECULE_SCENARIOS)

test: setup
	scripts/run-tests

demo: setup
	scripts/demo

# playbooks/teardown.yml with the demo's example: group, launch template, profile and role
demo-teardown: setup
	scripts/localstack start >/dev/null
	ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ansible-playbook playbooks/teardown.yml

# Our playbooks against an amazon.aws-only baseline on the benchmark's own LocalStack; writes docs/performance.md.
bench: setup
	bench/run

# Faults, crashes, races, bad input, check mode, secure defaults, permissions (tests/reliability),
# on its own LocalStack (port 4579); prints a table and "reliability: N passed, M failed".
reliability: setup
	tests/reliability/run

# The support matrix: every ansible-core minor from meta/runtime.yml's floor (2.17) to the newest, each in its own
# venv (.venv-compat/) with the amazon.aws users get beside it: unit tests, the guide's job in the worker and as
# modules, and parity of the two paths (scripts/compat). COMPAT_VERSIONS="2.19 2.20": only those.
compat: setup
	scripts/with-localstack scripts/compat

# mutmut over plugins/module_utils/ and plugins/filter/, judged by the unit tests (not in make test: see
# docs/testing.md for how long it takes); MUTATION_PATHS narrows it, e.g. to plugins/module_utils/_validation.py.
mutation: setup
	scripts/mutation

# --- ecosystem: docs site, release notes, Galaxy import check, AWX runner test -----------------------------
.PHONY: docs changelog importer awx
# HTML reference (antsibull-docs + Sphinx) with the user guide and the AWX guide: docs/build/html/index.html
docs: setup
	scripts/docs

# changelogs/changelog.yaml and CHANGELOG.rst for the version in galaxy.yml, from all fragments (repeatable)
changelog: setup
	scripts/changelog

# ansible-galaxy collection build, then galaxy-importer on the tarball (as Galaxy does on upload)
importer: setup
	scripts/importer

# tests/awx (pytest): the deploy playbook through ansible-runner as an AWX job does, the AWX survey, the
# execution environment and what ansible-builder's introspection finds in the installed collection.
# (Not tests/integration: that is ansible-test's folder for integration targets; ours are the Molecule scenarios.)
awx: setup
	scripts/with-localstack scripts/pytest-run tests/awx

# tests/permissions: docs/permissions.md as the only policy of the identity, on a moto server that enforces IAM
permissions: setup
	scripts/pytest-run tests/permissions

# Every LocalStack this checkout started (any port) is stopped before its state folders go.
clean:
	-scripts/localstack stop --all
	rm -rf $(VENV) $(LS_VENV) .venv-compat .localstack .localstack-* collections .ansible
