.PHONY: test lint

test:
	python -m pip install -q -e ".[test]"
	python -m pytest -q
	python -m ruff check graph api tests

lint:
	python -m ruff check graph api tests
	python -m mypy
