# Comanda developer commands. `make test` is what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
# Chalice's real deployer against a moto server: in a process of its own (in the shared xdist run it
# once reached the real IAM endpoint; see docs/operations.md, "Testing the deployer").
REAL_DEPLOYER := tests/integration/test_real_deployer.py

.PHONY: run test e2e-deps unit integration e2e display lint bench soak package cfn-lint deploy deploy-plan destroy clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The tables are kept in .devstack/data/ across restarts; `make run FRESH=1` starts empty.
run: $(STAMP)
	$(BIN)/python -m devstack --port $(PORT) --data-dir .devstack/data $(if $(FRESH),--fresh)

test: $(STAMP) e2e-deps lint cfn-lint package
	$(BIN)/python -m pytest -q -n 2 tests/unit tests/integration --ignore=$(REAL_DEPLOYER)
	$(BIN)/python -m pytest -q $(REAL_DEPLOYER)
	$(BIN)/python -m pytest -q tests/e2e

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests/integration

# Chromium (Debian's, installed with apt-get when missing) and the e2e tests' Node packages.
e2e-deps:
	@tests/e2e/deps.sh

e2e: $(STAMP) e2e-deps
	$(BIN)/python -m pytest -q tests/e2e

# The kitchen display in Chromium (also part of `make e2e` and `make test`); screenshots in tests/e2e/artifacts/.
display: $(STAMP) e2e-deps
	$(BIN)/python -m pytest -q tests/e2e/test_kitchen_display.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy chalicelib
	$(BIN)/lint-imports

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint infra/*.yaml

# One CloudFormation template (app + infra/ + stream trigger settings) for a pipeline: build/package/sam.json.
package: $(STAMP)
	rm -rf build/package
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/python -m ops.package --stage $(or $(STAGE),dev) --out build/package
	$(BIN)/cfn-lint build/package/sam.json
	@$(BIN)/python -m zipfile -l build/package/deployment.zip | grep -q "chalicelib/web/kds/index.html" \
		|| { echo "chalice package: the kitchen display (chalicelib/web/kds/) is missing"; exit 1; }
	@echo "chalice package: ok ($$(ls build/package))"

# Deploy a stage to AWS (docs/operations.md): infra stack, app, stream triggers, front door.
deploy: $(STAMP)
	@test -n "$(STAGE)" || (echo "usage: make deploy STAGE=dev|prod"; exit 2)
	$(BIN)/python -m ops.deploy --stage $(STAGE)

# What `make deploy` would change (CloudFormation change sets, Chalice's plan); applies nothing.
deploy-plan: $(STAMP)
	@test -n "$(STAGE)" || (echo "usage: make deploy-plan STAGE=dev|prod"; exit 2)
	$(BIN)/python -m ops.deploy --stage $(STAGE) --plan

# Remove a stage (app, both stacks, its tables and secret; KEEP_DATA=1 keeps those two). prod needs CONFIRM=prod.
destroy: $(STAMP)
	@test -n "$(STAGE)" || (echo "usage: make destroy STAGE=dev|prod [CONFIRM=prod] [KEEP_DATA=1]"; exit 2)
	$(BIN)/python -m ops.destroy --stage $(STAGE) --confirm "$(CONFIRM)" $(if $(KEEP_DATA),--keep-data)

bench: $(STAMP)
	$(BIN)/python -m bench

# A busy service on a local stack (bench/soak.py): make soak MINUTES=30 [URL=http://localhost:3000 AWS_ENDPOINT=...]
soak: $(STAMP)
	$(BIN)/python -m bench.soak --minutes $(or $(MINUTES),10) $(if $(URL),--url $(URL) --aws-endpoint $(AWS_ENDPOINT))

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache tests/e2e/artifacts
