# SPDX-License-Identifier: Apache-2.0
# A thin shim over meson for the two commands a newcomer types. Everything real lives in
# meson.build, packaging/install-deps (the package list) and tests/demo.
#
#   make demo    build, then run cohd against the local test AWS with the example app
#   make check   build, then run every test (unit, then integration against the test AWS)

BUILD_DIR ?= build
MESON_ARGS ?=

.PHONY: all demo check build deps clean

all: build

deps:
	packaging/install-deps build check

$(BUILD_DIR)/build.ninja:
	meson setup $(BUILD_DIR) -Dtests=enabled $(MESON_ARGS)

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR)

check: build
	meson test -C $(BUILD_DIR) --suite unit --verbose --print-errorlogs
	meson test -C $(BUILD_DIR) --no-suite unit --print-errorlogs

demo: build
	tests/demo $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
