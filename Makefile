# Rivulet: `make run` starts the broker and its window, `make test` runs every test,
# `make package` builds a .deb (build/rivulet_<version>_<arch>.deb).
# All install what is missing (Debian packages) and build first.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
# CI builds treat warnings as errors
WERROR ?= $(if $(CI),ON,OFF)
JOBS ?= $(shell nproc)
# the libFuzzer harnesses: their own build (clang, sanitizers), docs/FUZZING.md
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all setup configure build run test bench package install clean format fuzz fuzz-build fuzz-seeds

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

# the fuzz harnesses run a few seconds each after the other tests (their CTest label: fuzz)
test: build fuzz-build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j 2
	@cd $(FUZZ_DIR) && ctest --output-on-failure --timeout 300 -j 2

# The broker library and the harnesses built with clang, -fsanitize=fuzzer,address,undefined
fuzz-build: setup
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DRIVULET_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)

# each harness for FUZZ_SECONDS; crashes are saved in $(FUZZ_DIR)/crashes/
fuzz: fuzz-build
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# writes the seed corpora again (tests/fuzz/corpus/); commit what changed
fuzz-seeds: fuzz-build
	@$(FUZZ_DIR)/bin/fuzz_seeds tests/fuzz/corpus

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
	@rm -rf $(BUILD_DIR) $(FUZZ_DIR)
