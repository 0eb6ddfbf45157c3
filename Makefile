# translator_app: real-time news translation on Kafka + Faust + MarianMT.
# `make help` lists the targets. The two you need: `make demo` and `make test`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
PYTHON    := $(BIN)/python
MODELS    := .cache/models
KAFKA_LIB := .cache/kafka/lib
KAFKA_PORT ?= 9092
DEMO_WEB_PORT ?= 6066
export TRANSLATOR_BROKER ?= kafka://127.0.0.1:$(KAFKA_PORT)

.PHONY: help system-deps install kafka-jars kafka-up kafka-down kafka-cluster-up kafka-cluster-down overload jmx-agent test-models demo test test-unit test-integration bench bench-engine bench-packing profile restart-rounds lint format typecheck check clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

system-deps: ## Install missing Debian packages: Java, Maven, Chromium + chromedriver (needs root)
	bash scripts/system_deps.sh

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip wheel setuptools
	$(PYTHON) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create .venv with the package and its dev extra

$(KAFKA_LIB)/.fetched: kafka/pom.xml
	mvn -q -B -f kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=$(abspath $(KAFKA_LIB))
	touch $@

kafka-jars: $(KAFKA_LIB)/.fetched ## Fetch the Apache Kafka broker jars from Maven Central

kafka-up: install kafka-jars ## Start a single KRaft broker on 127.0.0.1:$(KAFKA_PORT)
	$(PYTHON) scripts/kafka_local.py up --port $(KAFKA_PORT)

kafka-down: ## Stop the broker started by kafka-up
	$(PYTHON) scripts/kafka_local.py down --port $(KAFKA_PORT)

CLUSTER_PORT ?= 29092
kafka-cluster-up: install kafka-jars ## Start 3 KRaft brokers on 127.0.0.1:$(CLUSTER_PORT),+2,+4 (RF=3, min.insync.replicas=2)
	$(PYTHON) scripts/kafka_local.py up --nodes 3 --port $(CLUSTER_PORT)

kafka-cluster-down: ## Stop the brokers started by kafka-cluster-up
	$(PYTHON) scripts/kafka_local.py down --nodes 3 --port $(CLUSTER_PORT)

docker/jmx/jmx_prometheus_javaagent.jar:
	mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
	  -Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:0.20.0 -DoutputDirectory=docker/jmx
	mv docker/jmx/jmx_prometheus_javaagent-0.20.0.jar $@

jmx-agent: docker/jmx/jmx_prometheus_javaagent.jar ## Fetch the Prometheus JMX exporter agent for docker-compose's brokers

test-models: install ## Build the random-weight opus-mt clone and the copy model (cached)
	$(PYTHON) scripts/build_test_models.py --out $(MODELS)

demo: install kafka-up ## Translate the sample feed end to end and print the results
	$(PYTHON) scripts/demo.py --web-port $(DEMO_WEB_PORT)

test: system-deps install kafka-jars test-models ## Run the whole suite, including real-Kafka end-to-end tests
	$(BIN)/pytest

test-unit: install ## Run the unit tests only
	$(BIN)/pytest tests/unit

test-integration: system-deps install kafka-jars test-models ## Run the real-Kafka end-to-end tests only
	$(BIN)/pytest tests/integration

bench: install kafka-jars test-models ## Engine, pipeline, prototype baseline, latency, cache in one run -> bench/results/bench.json
	$(PYTHON) bench/pipeline_bench.py

overload: install kafka-jars test-models ## 2x capacity for 5 minutes: memory and lag over time -> bench/results/overload.json
	$(PYTHON) scripts/overload.py

bench-engine: install test-models ## Engine speed per backend/batch/beams + batcher overhead -> bench/results/engine.json
	$(PYTHON) bench/engine_bench.py

bench-packing: install test-models ## Engine cost of narrow takes, and one title's floor -> bench/results/packing.json
	$(PYTHON) bench/packing.py

restart-rounds: install kafka-jars test-models ## SIGTERM + restart onto a backlog, 8 rounds: articles lost -> bench/results/restart_rounds.json
	$(PYTHON) bench/restart_rounds.py $(RESTART_ARGS)

profile: install kafka-jars test-models ## CPU per process/thread and py-spy stacks of a pipeline run -> bench/results/profile.json
	$(PYTHON) bench/profile_pipeline.py $(PROFILE_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check translator_app tests scripts bench
	$(BIN)/ruff format --check translator_app tests scripts bench

format: install ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix translator_app tests scripts bench
	$(BIN)/ruff format translator_app tests scripts bench

typecheck: install ## mypy over the package
	$(BIN)/mypy translator_app

check: lint typecheck test ## Everything CI cares about

clean: ## Remove build outputs and worker data (keeps the venv and caches)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .cache/worker-data
