.PHONY: test lint bench docs

DOCS ?= ontology/docs

test:
	python -m pip install -q -e ".[test]"
	python -m pytest -q
	python -m ruff check graph api tests
	python -m mypy

lint:
	python -m ruff check graph api tests
	python -m mypy

bench:
	python -m tests.bench.run
	python -m tests.bench.serve_bench

docs:
	python -m pip install -q -e ".[docs]"
	mkdir -p $(DOCS)
	python -m pylode ontology/bilateral.ttl -o $(DOCS)/index.html
