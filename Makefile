# Rivulet: `make run` starts the broker and its window, `make test` runs every test,
# `make package` builds a .deb (build/rivulet_<version>_<arch>.deb).
# All install what is missing (Debian packages) and build first.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
# CI builds treat warnings as errors
WERROR ?= $(if $(CI),ON,OFF)
JOBS ?= $(shell nproc)

.PHONY: all setup configure build run test bench package install clean format

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DRIVULET_WERROR=$(WERROR) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		exec $(BUILD_DIR)/bin/rivulet $(ARGS); \
	else \
		echo "No display: starting Rivulet headless"; \
		exec $(BUILD_DIR)/bin/rivulet --headless $(ARGS); \
	fi

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j 2

# CPack's DEB generator (cmake/packaging.cmake): installs on Debian 12 with
# `apt install ./build/rivulet_*.deb`, its dependencies found by dpkg-shlibdeps
package: build
	@cd $(BUILD_DIR) && cpack -G DEB

# the binaries, .desktop file, icons, metainfo and docs under PREFIX (DESTDIR honoured)
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# the standard benchmark set against Redis Streams in the same run (docs/PERFORMANCE.md)
bench: build
	@BUILD_DIR=$(BUILD_DIR) bench/run.sh

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
