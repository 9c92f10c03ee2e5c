# The two commands a newcomer runs (see README.md):
#   make demo   set up, then validate, check and plan the sample agents offline (no credentials), in summary
#   make test   set up, then run the whole test suite
.PHONY: demo test setup lint bench

setup:
	@scripts/setup

demo: setup
	.venv/bin/agentid validate
	.venv/bin/agentid check --stack dev
	.venv/bin/agentid plan --stack dev --summary

test:
	@scripts/setup --lint --browser --checkov
	.venv/bin/python -m pytest -q

lint: setup
	.venv/bin/ruff check .

# Benchmarks against the floors and checkov at 1,000 and 10,000 agents; writes docs/benchmarks.md (takes ~30 min).
bench: setup
	.venv/bin/python -m benchmarks run --n 1000 --n 10000
