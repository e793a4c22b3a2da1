# vakt — build, test, lint, install. See README.md.
#   make            build/vaktd and build/vaktctl
#   make check      install missing test packages (as root), unit + integration tests, then the
#                   same under ASan/UBSan
#   make demo       the real vaktd on a simulated workstation, narrated; touches nothing here
#   make run        (developers) vaktd on this host in observe mode, records on the console
#   make deb        build/vakt_VERSION-1_ARCH.deb (Debian 12), checked by lintian
#   make lint | fuzz | bench | install [DESTDIR=...]

# /usr: the paths the units run (/usr/sbin/vaktd, /usr/lib/vakt/vakt-door).
PREFIX ?= /usr
SYSCONFDIR ?= /etc
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/vakt
SYSTEMDDIR ?= $(PREFIX)/lib/systemd
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
UDEVDIR ?= $(PREFIX)/lib/udev
LIBEXECDIR ?= $(PREFIX)/lib/vakt
DATADIR ?= $(PREFIX)/share/vakt

B ?= build
CC ?= gcc
PKGS := libsystemd libudev audit auparse libcap inih libgcrypt
# Evaluated when a recipe needs them (after `make deps`); pkg-config's own error names what is
# missing, and pkg-config-check stops the build there instead of a compiler error later.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

WARN := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wpointer-arith -Wcast-qual -Wundef -Wvla
OPT ?= -O2 -g -D_FORTIFY_SOURCE=3 -fstack-protector-strong
SAN ?=
CFLAGS ?=
VERSION := 0.1
ALL_CFLAGS = -DVAKT_VERSION='"$(VERSION)"' $(WARN) $(OPT) $(SAN) $(CFLAGS) -D_GNU_SOURCE -Ilib -Idaemon $(PKG_CFLAGS) -MMD -MP
LDFLAGS ?=

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o)
# vaktctl links only libvakt.a (and the libraries): what it shares with vaktd is in lib/.
VAKTCTL_SRC := $(sort $(wildcard daemon/vaktctl/*.c))
VAKTCTL_OBJ := $(VAKTCTL_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))

.PHONY: all deps check unit integration sanitize lint fuzz bench install run demo clean system-test \
	pkg-config-check deb

all: $(B)/vaktd $(B)/vaktctl

pkg-config-check:
	@pkg-config --exists --print-errors $(PKGS) || \
		{ echo "Missing build dependencies: run 'make deps' as root (see README.md)." >&2; exit 1; }

$(B)/%.o: %.c | pkg-config-check
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libvakt.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/vaktd: $(DAEMON_OBJ) $(B)/libvakt.a
	$(CC) $(SAN) $(LDFLAGS) -o $@ $(DAEMON_OBJ) $(B)/libvakt.a $(PKG_LIBS)

$(B)/vaktctl: $(VAKTCTL_OBJ) $(B)/libvakt.a
	$(CC) $(SAN) $(LDFLAGS) -o $@ $(VAKTCTL_OBJ) $(B)/libvakt.a $(PKG_LIBS)

# A unit test links libvakt.a and, when it tests a daemon/ object that needs no loop, that object:
# UNIT_OBJ_test-NAME lists them.
UNIT_OBJ_test-log := $(B)/daemon/log.o
.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c $(B)/libvakt.a $$(UNIT_OBJ_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -DTEST_DATA_DIR='"$(CURDIR)/tests/data"' \
		-DSOURCE_DIR='"$(CURDIR)"' -o $@ $< $(UNIT_OBJ_$*) $(B)/libvakt.a \
		$(PKG_LIBS) $(CHECK_LIBS)

# Each target installs only what it needs (tests/tools/deps.sh says what and why).
deps:
	@bash tests/tools/deps.sh build check

unit: $(UNIT_BIN)
	@bash tests/tools/run-unit.sh $(UNIT_BIN)

integration: $(B)/vaktd $(B)/vaktctl
	@VAKTD=$(CURDIR)/$(B)/vaktd BUILD=$(CURDIR)/$(B) bash tests/integration/run.sh

# The whole suite, then again built with AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) sanitize

sanitize:
	ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) B=build-san OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all unit integration

lint:
	@bash tests/tools/deps.sh build lint
	@bash tests/tools/lint.sh

fuzz:
	@bash tests/tools/deps.sh build fuzz
	@bash tests/tools/fuzz.sh $(FUZZ_SRC)

bench:
	@bash tests/tools/deps.sh build bench
	$(MAKE) all
	@bash tests/bench/run.sh

# The guest installs build/vakt_*.deb with apt (VAKT_SYSTEM_INSTALL=files: the files of the tree
# and VAKTD instead, without the package).
system-test:
	@bash tests/tools/deps.sh build
	$(MAKE) all
	@if [ "$${VAKT_SYSTEM_INSTALL:-deb}" = deb ]; then $(MAKE) deb; fi
	@bash tests/system/run.sh

# The README's first command: the real vaktd on a simulated workstation (tests/demo/demo.py);
# touches nothing on the host.
demo:
	@bash tests/tools/deps.sh build demo
	$(MAKE) all
	@/usr/bin/python3 tests/demo/demo.py

# Developers only: vaktd on this host in the foreground, every part in observe mode (it records
# what it would do and changes nothing: no USB authorisation, no audit rule; tests/demo/run.conf).
run:
	@bash tests/tools/deps.sh build
	$(MAKE) all
	./$(B)/vaktd --config tests/demo/run.conf --log-target console --state-dir $(B)/state \
		--runtime-dir $(B)/run

# The units run $(SBINDIR)/vaktd and $(LIBEXECDIR)/vakt-door: with another PREFIX, they are
# installed with those paths. Configuration the administrator may have changed (vakt.conf, the
# audit rules) is never overwritten: the shipped file goes beside it as FILE.dist.
define install_conf
	@if [ -e "$(DESTDIR)$(2)" ]; then \
		install -m $(3) $(1) "$(DESTDIR)$(2).dist" && \
		echo "make install: kept $(2); the shipped version is $(2).dist"; \
	else \
		install -D -m $(3) $(1) "$(DESTDIR)$(2)"; \
	fi
endef
define install_unit
	sed -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/usr/lib/vakt/|$(LIBEXECDIR)/|g' $(1) >$(B)/$(notdir $(1))
	install -D -m 0644 $(B)/$(notdir $(1)) $(DESTDIR)$(SYSTEMDDIR)/system/$(notdir $(1))
endef

install: all
	install -D -m 0755 $(B)/vaktd $(DESTDIR)$(SBINDIR)/vaktd
	install -D -m 0755 $(B)/vaktctl $(DESTDIR)$(BINDIR)/vaktctl
	install -D -m 0644 conf/bash-completion/vaktctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vaktctl
	$(call install_conf,conf/vakt.conf,$(SYSCONFDIR)/vakt/vakt.conf,0644)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/vakt/vakt.conf.d
	$(call install_conf,conf/audit/50-vakt.rules,$(SYSCONFDIR)/audit/rules.d/50-vakt.rules,0640)
	install -D -m 0644 conf/udev/59-vakt-door.rules $(DESTDIR)$(UDEVDIR)/rules.d/59-vakt-door.rules
	install -D -m 0644 conf/udev/60-vakt-read-only.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-vakt-read-only.rules
	install -D -m 0755 systemd/vakt-door $(DESTDIR)$(LIBEXECDIR)/vakt-door
	$(call install_unit,systemd/vakt-door.service)
	$(call install_unit,systemd/vaktd.service)
	install -D -m 0644 systemd/vakt.catalog $(DESTDIR)$(CATALOGDIR)/vakt.catalog
	install -D -m 0644 man/vaktd.8 $(DESTDIR)$(MANDIR)/man8/vaktd.8
	install -D -m 0644 man/vakt.conf.5 $(DESTDIR)$(MANDIR)/man5/vakt.conf.5
	install -D -m 0644 man/vaktctl.8 $(DESTDIR)$(MANDIR)/man8/vaktctl.8
	@# Activated by the administrator only: it changes the kernel command line at the next
	@# update-grub (README.md, "The USB door"). Not under doc/: dpkg may be told to skip docs.
	install -D -m 0644 conf/grub/vakt-usb.cfg $(DESTDIR)$(DATADIR)/grub/vakt-usb.cfg

# A Debian 12 package from conf/debian/ (debhelper, dh compat 13): the tree is copied to
# $(B)/deb/vakt-$(VERSION) with conf/debian as its debian/, built with dpkg-buildpackage, and the
# .deb checked by lintian (no error, no warning: conf/debian/vakt.lintian-overrides says why for
# the ones that stay).
deb:
	@bash tests/tools/deps.sh build deb
	rm -rf $(B)/deb
	mkdir -p $(B)/deb/vakt-$(VERSION)
	cp -a Makefile README.md daemon lib conf systemd man $(B)/deb/vakt-$(VERSION)/
	cp -a conf/debian $(B)/deb/vakt-$(VERSION)/debian
	cd $(B)/deb/vakt-$(VERSION) && dpkg-buildpackage -us -uc -b
	rm -f $(B)/vakt_$(VERSION)-* $(B)/vakt-dbgsym_$(VERSION)-*
	mv $(B)/deb/*.deb $(B)/deb/*.changes $(B)/deb/*.buildinfo $(B)/
	lintian --fail-on error,warning --display-info \
		$(B)/vakt_$(VERSION)-*.changes
	@ls $(B)/vakt_$(VERSION)-*.deb

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(UNIT_BIN:=.d)
