# hajj-ivr: `make run` brings the hotline up, `make test` runs every test (real calls too).
BIN := .venv/bin
.PHONY: setup run test lint bench clean

setup:
	scripts/setup.sh

run: setup
	$(BIN)/hajj-ivr run

test: setup lint
	# Three workers on two cores: the real-call tests mostly wait on prompts played in real
	# time (a run used about a quarter of the CPU with two), so a third overlaps the waits.
	$(BIN)/pytest -q -n 3 --dist loadfile --no-loadscope-reorder --durations=20

lint:
	$(BIN)/ruff check ivr tests bench && $(BIN)/ruff format --check ivr tests bench && $(BIN)/mypy ivr tests bench

bench: setup
	$(BIN)/python -m bench

clean:
	-$(BIN)/hajj-ivr asterisk stop
	rm -rf var .venv .mypy_cache .ruff_cache .pytest_cache
