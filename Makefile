# One command to serve, one to test. Both build what they need from a bare Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test test-fast bench admin lint typecheck format clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when a requirements file changed.
$(VENV)/.prod-installed: requirements/base.txt requirements/prod.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements/prod.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/prod.txt requirements/dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.prod-installed

# A SECRET_KEY made once and kept in .env (never committed), unless the environment sets one.
.env:
	@if [ -z "$$SECRET_KEY" ]; then \
		echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env; \
		echo "Wrote a new SECRET_KEY to .env"; \
	else touch .env; fi

run: $(VENV)/.prod-installed .env
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) first_admin
	@# The notification sender, and the MQTT subscriber when MQTT_URL is set (in the environment
	@# or .env; without it nothing about MQTT starts), run beside gunicorn and stop with it,
	@# however gunicorn ends.
	$(MANAGE) sendalerts & alerts=$$!; mqtt=; \
	if [ -n "$$MQTT_URL" ] || grep -qs '^MQTT_URL=.' .env; then $(MANAGE) mqtt_ingest & mqtt=$$!; fi; \
	trap 'kill $$alerts $$mqtt 2>/dev/null; wait $$alerts $$mqtt' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(VENV)/bin/gunicorn -c gunicorn.conf.py iotserver.wsgi

admin: $(VENV)/.prod-installed .env
	$(MANAGE) createsuperuser


# The suite on SQLite, then on PostgreSQL in a fresh database if a server answers on 127.0.0.1:5432
# (or at TEST_POSTGRES_URL); without one it says the PostgreSQL pass was skipped.
test: $(VENV)/.dev-installed
	bash tests/both_engines.sh $(PY)

# The quick loop while working: SQLite only, without the slow kinds (pyproject.toml's markers:
# live servers, load and faults, browser, firmware interpreters, fuzzing): about 30 s of CPU.
SLOW_MARKERS := live or load or browser or firmware or fuzz
test-fast: $(VENV)/.dev-installed
	$(PY) -m pytest -m "not ($(SLOW_MARKERS))"

# Benchmarks (tests/bench/, not part of `make test`): ingest with wrk against a raw-INSERT floor,
# reads at 10.5 million readings; `make bench QUICK=1` uses 1 million. Needs wrk (apt-get install wrk).
bench: $(VENV)/.dev-installed
	$(PY) -m tests.bench.run $(if $(QUICK),--quick)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy with Django's and DRF's stubs (pyproject.toml). Its Django plugin loads the settings, which
# need a SECRET_KEY: a throwaway one unless the environment sets one.
typecheck: $(VENV)/.dev-installed
	SECRET_KEY=$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')} \
		$(VENV)/bin/mypy .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles
