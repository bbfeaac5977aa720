# 巴州优才卡 — two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Links in e-mails point here: where `make run` serves, unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test venv lint format check clean screenshots bench messages cjk-font

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# The translations (locale/en/LC_MESSAGES/django.po; Chinese is the source text) compiled for
# gettext, again whenever a .po changed. GNU gettext's msgfmt through compilemessages where it is
# installed, else polib (in requirements.txt) writes the same .mo. The .mo files are not committed.
LOCALE_PO := $(wildcard locale/*/LC_MESSAGES/django.po)
LOCALE_MO := $(LOCALE_PO:.po=.mo)
$(LOCALE_MO): %.mo: %.po $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then \
	  $(PY) manage.py compilemessages --ignore=.venv --ignore=bench --ignore=var; \
	else \
	  $(PY) -c 'import polib, sys; polib.pofile(sys.argv[1]).save_as_mofile(sys.argv[2])' $< $@; \
	fi
	@touch $@

venv: $(VENV)/.installed $(LOCALE_MO)

## messages: extract every marked string into locale/en/LC_MESSAGES/django.po (then translate
## the new entries there; `make venv`, `make run` and `make test` compile it)
messages: venv
	$(PY) manage.py makemessages -l en --no-location --no-obsolete --ignore=.venv --ignore=bench --ignore=var

## cjk-font: make sure a font with Chinese glyphs is installed, for the card's phone image
## (cards.card_image through portal.fonts; the PDF certificate needs none): Debian's
## fonts-wqy-microhei where apt-get can install it, else a warning (set CJK_FONT to a font file)
cjk-font: venv
	@if ! DJANGO_SETTINGS_MODULE=config.settings $(PY) -c 'import sys, django; django.setup(); from portal.fonts import cjk_font_for; sys.exit(cjk_font_for("巴州优才卡") is None)' 2>/dev/null; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
	  echo "== installing a Chinese font (fonts-wqy-microhei) for the card image"; \
	  { command -v apt-get >/dev/null 2>&1 \
	    && { $$SUDO apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 \
	      || { $$SUDO apt-get update -q >/dev/null 2>&1 \
	        && $$SUDO apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1; }; }; } \
	  || echo "注意：未找到中文字体，“保存图片到手机”暂不可用（PDF 电子证书不受影响）。请安装 fonts-wqy-microhei 或设置 CJK_FONT。"; \
	fi

## run: install, migrate, load demo data, start the web server and a Celery worker with beat
run: venv cjk-font
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "巴州优才卡: http://$(HOST):$(PORT)/  (demo accounts in README.md; Ctrl-C stops everything)"
	@SITE_URL='$(SITE_URL)' $(VENV)/bin/celery -A config worker --beat --loglevel=INFO --concurrency=2 & \
	  CELERY_PID=$$!; \
	  trap 'kill $$CELERY_PID 2>/dev/null; wait $$CELERY_PID 2>/dev/null' EXIT INT TERM; \
	  SITE_URL='$(SITE_URL)' $(PY) manage.py runserver $(HOST):$(PORT)

## test: install and run the whole suite (the layer contract is one of its tests) in two steps,
## each spread over TEST_WORKERS pytest-xdist workers (each worker with its own test database and
## cache keys; tests marked with one xdist_group share a worker): every test but the browser
## journeys, then the journeys in tests/e2e/ (each worker with its own live server and Chromium).
## The second step runs even if the first failed (not if it was interrupted); either failing
## fails `make test`. TEST_WORKERS=0 runs both steps in-process, one test after another.
## PYTEST_ARGS replaces both steps with one plain pytest run of those arguments, e.g.
## `make test PYTEST_ARGS=tests/test_sla.py` (add `-n 2 --dist loadgroup` to spread it too).
## Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: every process of the suite would
## otherwise compile the project and rewrite the tests' asserts again (8 s instead of 3 s each).
TEST_WORKERS ?= 2
test: export PYTHONDONTWRITEBYTECODE =
test: venv
ifeq ($(strip $(PYTEST_ARGS)),)
	@status=0; \
	  echo "== tests but the browser journeys, on $(TEST_WORKERS) workers"; \
	  $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=tests/e2e || status=$$?; \
	  if [ $$status -le 1 ]; then \
	    echo "== browser journeys (tests/e2e), on $(TEST_WORKERS) workers"; \
	    $(PY) -m pytest -n $(TEST_WORKERS) tests/e2e || status=$$?; \
	  fi; \
	  exit $$status
else
	$(PY) -m pytest $(PYTEST_ARGS)
endif

## screenshots: run the browser journeys and keep their screenshots in docs/screenshots
screenshots: venv
	SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest tests/e2e -o addopts="-q -p no:cacheprovider"

## bench: build a PostgreSQL database of BENCH_N requests (recreated), measure every hot path
## against gunicorn, write docs/benchmarks.md (see bench/ and the README's "Benchmark")
BENCH_N ?= 1000000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bazhou_bench
bench: venv
	@command -v wrk >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q wrk >/dev/null 2>&1 \
	  || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q wrk >/dev/null; } \
	  || echo "wrk could not be installed: QR throughput is measured by a Python load generator"; }
	BENCH_N=$(BENCH_N) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: lint
	DATABASE_URL= REDIS_URL= $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
