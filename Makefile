# Makefile — the front door: `make` builds everything into build/ (the CLI at
# build/bin/ladder), `make check` runs every test through ctest, `make bench`
# runs the benchmarks, `make install` installs library, headers, pkg-config
# file and CLI (and, with SQLCipher's amalgamation, ladder-sqlcipher). CMake
# does the work underneath.
BUILD    ?= build
SANITIZE ?= OFF
PREFIX   ?= /usr/local
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SETTINGS_ROWS ?= 1000000
LINT_FILES ?= 10000
FLEET_FILES ?= 10000
FLEET_SCHEMAS ?= 1000
# SQLCipher 4's amalgamation for the encrypted-file builds and tests:
# `auto` fetches it (scripts/sqlcipher.sh; without it, offline, the build
# goes on without them, except under CI=true), a folder names one, empty: none.
SQLCIPHER ?= auto
CMAKE_FLAGS = -DLADDER_SANITIZE=$(SANITIZE) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

.PHONY: all deps configure check bench install clean demo

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@bash scripts/deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || { \
	  sqlcipher='$(SQLCIPHER)'; \
	  if [ "$$sqlcipher" = auto ] && ! sqlcipher=$$(bash scripts/sqlcipher.sh); then \
	    [ -z "$${CI:-}" ] || exit 1; \
	    echo "make: building without SQLCipher (no ladder-sqlcipher, no encrypted-file tests)" >&2; sqlcipher=; fi; \
	  cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DLADDER_SQLCIPHER="$$sqlcipher" >/dev/null; }

check: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: all
	$(BUILD)/bin/ladder-bench
	@if [ -x $(BUILD)/bin/ladder-bench-sqlcipher ]; then echo; $(BUILD)/bin/ladder-bench-sqlcipher; fi
	@if [ -x $(BUILD)/bin/ladder-bench-pg ]; then \
	  bash tests/pg/server.sh start $(BUILD)/pg-bench >/dev/null && \
	  LADDER_PG_URL_FILE=$(BUILD)/pg-bench/url $(BUILD)/bin/ladder-bench-pg; \
	  status=$$?; bash tests/pg/server.sh stop $(BUILD)/pg-bench >/dev/null; [ $$status -eq 0 ] || exit $$status; fi
	@if [ -x $(BUILD)/bin/ladder-bench-mariadb ]; then \
	  for place in memory disk; do \
	    if [ $$place = disk ]; then tmp=/tmp; else tmp=; fi; \
	    LADDER_MARIADB_TMP=$$tmp bash tests/mariadb/server.sh start $(BUILD)/mariadb-bench-$$place >/dev/null && \
	    LADDER_MARIADB_SERVER_DIR=$(BUILD)/mariadb-bench-$$place $(BUILD)/bin/ladder-bench-mariadb; \
	    status=$$?; bash tests/mariadb/server.sh stop $(BUILD)/mariadb-bench-$$place >/dev/null; \
	    [ $$status -eq 0 ] || exit $$status; echo; done; fi
	@if [ -x $(BUILD)/bin/ladder-bench-settings ]; then \
	  bash tests/pg/server.sh start $(BUILD)/pg-bench-settings >/dev/null && \
	  LADDER_PG_URL_FILE=$(BUILD)/pg-bench-settings/url $(BUILD)/bin/ladder-bench-settings $(SETTINGS_ROWS); \
	  status=$$?; bash tests/pg/server.sh stop $(BUILD)/pg-bench-settings >/dev/null; exit $$status; fi
	bash bench/lint_bench.sh $(BUILD)/bin/ladder $(LINT_FILES) 1
	bash bench/lint_compare.sh $(BUILD)/bin/ladder
	FLEET_FILES=$(FLEET_FILES) bash bench/fleet_bench.sh $(BUILD)/bin
	@if [ -x $(BUILD)/bin/ladder-fleet-raw-pg ]; then \
	  FLEET_SCHEMAS=$(FLEET_SCHEMAS) bash bench/pg/fleet_bench.sh $(BUILD)/bin; fi

demo: all
	@rm -f $(BUILD)/demo.db
	$(BUILD)/bin/ladder -d $(BUILD)/demo.db -m examples/basic/migrations up
	$(BUILD)/bin/ladder -d $(BUILD)/demo.db -m examples/basic/migrations status

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
