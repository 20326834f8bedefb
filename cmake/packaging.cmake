# `make package` (cpack -G DEB in the build directory): a .deb of what `cmake --install`
# installs, under /usr, with its dependencies declared by dpkg-shlibdeps from the libraries
# the binaries link (Qt, zlib, zstd, lz4, snappy), never bundled.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rivulet)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The Rivulet developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "local Kafka-compatible message broker with a live window")
set(CPACK_PACKAGE_DESCRIPTION
    "Rivulet is a message broker for a developer's machine: topics, partitions and offsets,
producers and any number of independent consumers, in one native program. It keeps its
log on disk, survives a crash, and speaks the Kafka wire protocol, so Kafka clients work
against it unchanged. Its window shows topics, consumers and their lag, clients, rates
and messages as they arrive. rivulet-cli creates topics, produces, consumes and
benchmarks from the command line.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # rivulet_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The Rivulet developers")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS kcat)
include(CPack)
