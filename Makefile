# Burrow: one non-recursive Makefile. Each subsystem adds its programs and
# objects in its own module.mk, so a change to one never touches another.
#
#   make            build every program into bin/
#   make deps       install the Debian packages the build and tests need
#   make run        start the whole service locally (store, DNS, ACME, edge)
#   make check      run every test suite; ends with "N passed, N failed"
#                   (and ", N skipped" when a suite skipped checks)
#   make asan       the same under AddressSanitizer + UBSan (SANITIZE=1)
#   make fuzz       build the libFuzzer targets and explore each at random
#                   for FUZZ_SECONDS (600); make check runs them
#                   deterministically (tests/fuzz/README.md)
#   make bench      run the benchmarks beside their real peers
#   make install    install programs, man pages, systemd units (PREFIX, DESTDIR)

CC       ?= cc
PKGS     := ldns libevent libevent_openssl openssl libcurl jansson sqlite3 libpq
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

ifeq ($(FUZZ),1)
# libFuzzer build (make fuzz): clang with coverage on every object; UB
# aborts, so libFuzzer saves the input as for any other crash.  No
# stack-depth coverage: the depth it measures moves with where ASLR puts the
# stack, and make check must see the same coverage every run.
CC       := clang-14
CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined -fno-sanitize-coverage=stack-depth
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build/fuzz
else ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build/asan
else
BUILD    := build/release
endif

.DEFAULT_GOAL := all
PROGRAMS :=
ARCHIVES :=

# $(call subsystem,DIR): DIR/*.c except the *main.c files, as one archive that
# programs, unit tests and fuzz targets link.
define subsystem
$(1)_SRCS := $$(filter-out %main.c,$$(wildcard $(1)/*.c))
$(1)_LIB  := $$(BUILD)/lib$(1).a
$$($(1)_LIB): $$($(1)_SRCS:%.c=$$(BUILD)/%.o) $(2)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef

# $(call program,NAME,MAIN_SOURCE,ARCHIVES): bin/NAME from its main file.
define program
PROGRAMS += bin/$(1)
bin/$(1): $$(BUILD)/$(2:.c=.o) $(3) $$(BURROW_LIBS) bin/.build
	@mkdir -p bin
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter-out bin/.build,$$^) $$(LDLIBS)
endef

# common/ and the store: every program links them, last.
$(eval $(call subsystem,db,$$(BUILD)/db/schema_sqlite.o $$(BUILD)/db/schema_postgresql.o))
$(eval $(call subsystem,common,$$(BUILD)/common/version_str.o))
BURROW_LIBS := $(db_LIB) $(common_LIB)

# cli/ last: bin/burrow links the other subsystems' archives.
include domains/module.mk
include dns/module.mk
include acme/module.mk
include tunnels/module.mk
include api/module.mk
include exit/module.mk
include cli/module.mk
include tests/module.mk

.PHONY: all deps run check asan fuzz fuzz-build fuzz-check bench clean
all: $(PROGRAMS)

# Rebuild everything when the flags change (plain and SANITIZE=1 builds
# share bin/, so a stale binary of the other kind must never survive).
$(BUILD)/.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
FORCE:

# bin/ holds the programs of whichever build ran last: bin/.build names it,
# and changes (relinking every program) when the other build runs, so an
# ASan binary never survives a plain make, nor the reverse.
bin/.build: FORCE
	@mkdir -p bin
	@echo '$(BUILD)' | cmp -s - $@ || echo '$(BUILD)' > $@

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# One version for every program's --version (common/version.sh: git describe
# in a clone, else the VERSION file); the file is rewritten only when the
# version changes.
BURROW_VERSION := $(shell sh common/version.sh)
VERSION_C = '\#include "common/version.h"\nconst char burrow_version_string[] = "%s";\n'
$(BUILD)/common/version_str.c: FORCE
	@mkdir -p $(@D)
	@printf $(VERSION_C) '$(BURROW_VERSION)' | cmp -s - $@ || \
	    printf $(VERSION_C) '$(BURROW_VERSION)' > $@
$(BUILD)/common/version_str.o: $(BUILD)/common/version_str.c $(BUILD)/.flags
	$(CC) $(CFLAGS) -c $< -o $@

# Migrations live as plain .sql files, one set per engine side by side
# (db/schema/sqlite, db/schema/postgresql); they are compiled in as strings.
# Both engines must carry the same versions.
define schema_engine
$$(BUILD)/db/schema_$(1).c: $$(sort $$(wildcard db/schema/$(1)/*.sql)) db/schema/embed.sh
	@mkdir -p $$(@D)
	@test "$$(wildcard db/schema/sqlite/*.sql)" != "" && \
	 test "$$(foreach f,$$(sort $$(notdir $$(wildcard db/schema/sqlite/*.sql))),$$(firstword $$(subst _, ,$$(f))))" = \
	      "$$(foreach f,$$(sort $$(notdir $$(wildcard db/schema/postgresql/*.sql))),$$(firstword $$(subst _, ,$$(f))))" || \
	 { echo "db/schema: sqlite and postgresql must have the same versions" >&2; exit 1; }
	sh db/schema/embed.sh $(1) $$(sort $$(wildcard db/schema/$(1)/*.sql)) > $$@
$$(BUILD)/db/schema_$(1).o: $$(BUILD)/db/schema_$(1).c $$(BUILD)/.flags
	$$(CC) $$(CFLAGS) -c $$< -o $$@
endef
$(foreach e,sqlite postgresql,$(eval $(call schema_engine,$(e))))

deps:
	@sh tests/deps.sh

run: deps all
	sh deploy/run-local.sh

check: deps
	$(MAKE) all
	$(MAKE) test-programs
	BUILD=$(BUILD) sh tests/run.sh

asan:
	$(MAKE) check SANITIZE=1

# Fuzz targets: tests/fuzz/fuzz_NAME.c for each NAME a module.mk adds to
# FUZZ_TARGETS; corpus (seeds and regress-* files) in tests/fuzz/corpus/NAME/.
# fuzz: random exploration, FUZZ_SECONDS (600) each, one after the other;
# fuzz-check: what make check runs (a fixed seed and FUZZ_RUNS inputs).
# Pick targets with FUZZ_TARGETS="dns_query dns_xfr".
fuzz-build:
	$(MAKE) FUZZ=1 fuzz-programs
fuzz: deps fuzz-build
	sh tests/fuzz/run.sh explore $(FUZZ_TARGETS)
fuzz-check: deps fuzz-build
	sh tests/fuzz/run.sh check $(FUZZ_TARGETS)

# Every benchmark, each beside its real peer (NSD and Knot, HAProxy, lego,
# plain WireGuard); each module.mk defines its own bench-NAME target.
bench: bench-dns bench-edge bench-acme bench-exit bench-api bench-store

# make bench-store: the store on SQLite and on PostgreSQL, creates/s,
# create -> visible at burrow-dns and burrow-edge, DNS QPS (bench/store.sh).
.PHONY: bench-store
bench-store: deps all
	BUILD=$(BUILD) bash bench/store.sh

clean:
	rm -rf build bin

# make install [PREFIX=/usr/local] [DESTDIR=]: the CLI in $(BINDIR), the
# daemons in $(SBINDIR), a man page for each program, the systemd units and
# the sysusers.d entry of the user they run as, the example configuration and
# the operators' documents.  Man pages and units are made from man/ and
# deploy/systemd/*.in with this PREFIX's paths.  Only what this tree builds
# is installed (a unit and a page for each program in $(PROGRAMS)); make
# uninstall removes exactly those files.  Creating the user is left to
# systemd-sysusers (or the Debian package), not done at install time.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/burrow
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# /usr keeps its configuration in /etc (FHS 3.7); other prefixes their own.
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)

DAEMONS       := $(filter-out burrow,$(notdir $(PROGRAMS)))
MAN_PAGES     := build/man/burrow.1 $(DAEMONS:%=build/man/%.8)
UNIT_FILES    := $(DAEMONS:%=build/systemd/%.service) \
                 build/systemd/burrow-domain-verify.service
UNIT_STATIC   := deploy/systemd/burrow-domain-verify.timer
EXAMPLE_FILES := $(sort $(wildcard deploy/examples/*.env))
DOC_FILES     := README.md deploy/DOMAINS.md $(sort $(wildcard docs/*.md))
INSTALL_SUBST := s|@BINDIR@|$(BINDIR)|g;s|@SBINDIR@|$(SBINDIR)|g;$\
                 s|@SYSCONFDIR@|$(SYSCONFDIR)|g;s|@DOCDIR@|$(DOCDIR)|g;$\
                 s|@UNITDIR@|$(UNITDIR)|g

# The paths substituted last time: a new PREFIX remakes every page and unit.
build/install.paths: FORCE
	@mkdir -p $(@D)
	@echo '$(INSTALL_SUBST)' | cmp -s - $@ || echo '$(INSTALL_SUBST)' > $@
build/man/%: man/% build/install.paths
	@mkdir -p $(@D)
	sed -e '$(INSTALL_SUBST)' $< > $@.tmp && mv $@.tmp $@
build/systemd/%: deploy/systemd/%.in build/install.paths
	@mkdir -p $(@D)
	sed -e '$(INSTALL_SUBST)' $< > $@.tmp && mv $@.tmp $@

.PHONY: man units install uninstall
man: $(MAN_PAGES)
units: $(UNIT_FILES)

install: all $(MAN_PAGES) $(UNIT_FILES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 bin/burrow $(DESTDIR)$(BINDIR)/
	install -m 0755 $(DAEMONS:%=bin/%) $(DESTDIR)$(SBINDIR)/
	install -m 0644 build/man/burrow.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(DAEMONS:%=build/man/%.8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(UNIT_FILES) $(UNIT_STATIC) $(DESTDIR)$(UNITDIR)/
	install -m 0644 deploy/burrow.sysusers $(DESTDIR)$(SYSUSERSDIR)/burrow.conf
	install -m 0644 $(EXAMPLE_FILES) $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/burrow $(DAEMONS:%=$(DESTDIR)$(SBINDIR)/%) \
	    $(DESTDIR)$(MANDIR)/man1/burrow.1 $(DAEMONS:%=$(DESTDIR)$(MANDIR)/man8/%.8) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNIT_FILES) $(UNIT_STATIC))) \
	    $(DESTDIR)$(SYSUSERSDIR)/burrow.conf \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLE_FILES))) \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)

-include $(shell find build -name '*.d' 2>/dev/null)

.PHONY: print-fuzz-targets
print-fuzz-targets:
	@echo $(FUZZ_TARGETS)
