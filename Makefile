# sensehat: build, test, package and deploy.
#
#   make                  native bin/sensehatd and bin/sensehat
#   make build-armv6      stripped ARMv6 daemon, runs on every Pi (bin/linux_armv6/)
#   make build-arm        stripped armv7 daemon, Pi 2 and newer (bin/linux_arm/)
#   make deploy PI=pi@raspberrypi.local
#   make deb              .deb packages for armhf (ARMv6) and arm64 in dist/
#   make test             gofmt, vet, race tests, unit file checks
#
# Every tool the checks need beyond Go is installed by .ci/run.

MODULE  := github.com/sensehat/sensehat
GO      ?= go

# The NATS micro service insists on semver. A tag (v1.2.3) is used as is;
# without one the version is 0.1.0-dev+<commit>, which is still valid semver.
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DIRTY   := $(shell git diff --quiet HEAD 2>/dev/null || echo .dirty)
TAG     := $(shell git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null)
DESCRIBE := $(shell git describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null)
ifneq ($(TAG),)
VERSION ?= $(patsubst v%,%,$(TAG))$(if $(DIRTY),+dirty)
else ifneq ($(findstring -g,$(DESCRIBE)),)
# v1.2.3-4-gabcdef: commits after v1.2.3 lead to the next patch release, so
# 1.2.4-dev+<commit>, which semver (and dpkg) order after 1.2.3.
VERSION ?= $(shell echo '$(word 1,$(subst -, ,$(patsubst v%,%,$(DESCRIBE))))' | awk -F. '{ printf "%d.%d.%d", $$1, $$2, $$3 + 1 }')-dev+$(COMMIT)$(DIRTY)
else ifneq ($(COMMIT),unknown)
VERSION ?= 0.1.0-dev+$(COMMIT)$(DIRTY)
else
VERSION ?= 0.0.0-dev
endif

LDFLAGS := -s -w -X $(MODULE)/internal/version.Version=$(VERSION) -X $(MODULE)/internal/version.Commit=$(COMMIT)
GOFLAGS_BUILD := -trimpath -ldflags '$(LDFLAGS)'

# The Pi to deploy to, e.g. PI=pi@raspberrypi.local. SSH and SCP may carry
# options (SSH='ssh -p 2222'). The files land in a private directory that
# mktemp -d makes on the Pi (deploy/ssh-install.sh says why).
PI      ?=
SSH     ?= ssh
SCP     ?= scp
# The daemon make deploy builds and sends: the ARMv6 one runs on every Pi;
# DEPLOY_BIN=bin/linux_arm/sensehatd (armv7) or bin/linux_arm64/sensehatd
# (64-bit OS) send another build.
DEPLOY_BIN ?= bin/linux_armv6/sensehatd
# HUB=nats-leaf://hub.local:7422 makes make deploy also set the Pi up as a
# store-and-forward leaf node of that hub (docs/fleet.md, "Keep every reading").
HUB ?=
# FLEET=fleet/pi/pi1 (what "sensehat fleet add pi1" wrote) makes make deploy
# install the Pi as a fleet member with its own identity instead.
FLEET ?=

# 32-bit ARM binary size limit in bytes (10 MB).
SIZE_LIMIT ?= 10000000

DEB_ARCHES := armhf arm64
DIST    := dist

.PHONY: build build-daemon build-arm build-armv6 build-arm64 test vet fmt-check unit-test bench demo deb check-deb \
	deploy uninstall soak size check-unit clean help

build: build-daemon
	$(GO) build $(GOFLAGS_BUILD) -o bin/sensehat ./cmd/sensehat

build-daemon:
	$(GO) build $(GOFLAGS_BUILD) -o bin/sensehatd ./cmd/sensehatd

build-arm:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 \
		$(GO) build $(GOFLAGS_BUILD) -o bin/linux_arm/sensehatd ./cmd/sensehatd

# Raspberry Pi OS's armhf is ARMv6 with VFP: a Pi Zero or Pi 1 (ARM1176)
# dies with "Illegal instruction" on a GOARM=7 build. GOARM=6 runs on every
# Pi; the armhf .deb and make deploy ship it.
build-armv6:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 \
		$(GO) build $(GOFLAGS_BUILD) -o bin/linux_armv6/sensehatd ./cmd/sensehatd

build-arm64:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 \
		$(GO) build $(GOFLAGS_BUILD) -o bin/linux_arm64/sensehatd ./cmd/sensehatd

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit-test:
	$(GO) test -race ./...

# The unit checks need systemd-analyze; a laptop without systemd skips them.
test: fmt-check vet unit-test
	@if command -v systemd-analyze >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory check-unit; \
	else \
		echo "systemd-analyze not found: unit file checks skipped"; \
	fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

#   make fuzz             fuzz every target, FUZZTIME (3m) each; commit what it finds
# CI only replays the committed corpora (scripts/fuzz.sh without FUZZTIME), so
# open-ended fuzzing is this target's job: run it before handing in a change
# to a parser, fix every finding, and commit its input from testdata/fuzz/.
FUZZTIME ?= 3m

.PHONY: fuzz
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# Runs tests built with the soak tag: long fault-injection runs, not part of
# make test.
soak:
	$(GO) test -run Soak -tags soak -timeout 30m ./...

demo:
	$(GO) run ./cmd/sensehat emulate

check-unit: build
	deploy/check-unit.sh bin/sensehatd bin/sensehat

# nfpm expands environment variables in arch and version but not in file
# sources, so each architecture's binary is staged at one fixed path. The
# armhf package carries the ARMv6 build: Raspberry Pi OS armhf runs on the
# Pi Zero and Pi 1 too.
deb: build-armv6 build-arm64
	@command -v nfpm >/dev/null 2>&1 || { echo "nfpm not found: go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2 (or run .ci/run)"; exit 1; }
	@mkdir -p $(DIST)/stage
	rm -f $(DIST)/sensehatd_*.deb
	cp bin/linux_armv6/sensehatd $(DIST)/stage/sensehatd
	DEB_ARCH=armhf VERSION='$(VERSION)' nfpm pkg --config deploy/nfpm.yaml --packager deb --target $(DIST)/
	cp bin/linux_arm64/sensehatd $(DIST)/stage/sensehatd
	DEB_ARCH=arm64 VERSION='$(VERSION)' nfpm pkg --config deploy/nfpm.yaml --packager deb --target $(DIST)/
	rm -rf $(DIST)/stage

check-deb:
	deploy/check-deb.sh $(DIST)

size: build-arm build-armv6
	@for f in bin/linux_arm/sensehatd bin/linux_armv6/sensehatd; do \
		size=$$(wc -c < $$f); \
		echo "$$f: $$size bytes (limit $(SIZE_LIMIT))"; \
		if [ "$$size" -gt $(SIZE_LIMIT) ]; then echo "$$f is larger than $(SIZE_LIMIT) bytes"; exit 1; fi; \
	done

# Each binary make deploy can send, built by its target.
bin/sensehatd: build-daemon ;
bin/linux_arm/sensehatd: build-arm ;
bin/linux_armv6/sensehatd: build-armv6 ;
bin/linux_arm64/sensehatd: build-arm64 ;

# Not echoed: HUB may carry the leaf node's password (ssh-install.sh prints
# what it does, the password left out).
deploy: require-pi $(DEPLOY_BIN)
	@SSH='$(SSH)' SCP='$(SCP)' deploy/ssh-install.sh $(if $(HUB),--store-and-forward '$(HUB)') $(if $(FLEET),--fleet '$(FLEET)') '$(PI)' '$(DEPLOY_BIN)'

uninstall: require-pi
	SSH='$(SSH)' SCP='$(SCP)' deploy/ssh-install.sh --uninstall '$(PI)'

.PHONY: require-pi
require-pi:
	@if [ -z "$(PI)" ]; then \
		echo "PI is not set: say which Pi to use, e.g. make $(MAKECMDGOALS) PI=pi@raspberrypi.local"; \
		exit 1; \
	fi

clean:
	rm -rf bin $(DIST)

help:
	@sed -n 's/^#   //p' Makefile
