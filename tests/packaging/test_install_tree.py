#!/usr/bin/env python3
"""`cmake --install` into a temporary DESTDIR with prefix /usr puts every file where the
XDG and Debian conventions want it: the binaries, the .desktop file, the hicolor icons at
their sizes, the AppStream metainfo and the documentation; the tree validates with
`appstreamcli validate-tree`, and the installed binaries run.

usage: test_install_tree.py BUILD_DIR VERSION
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

APP_ID = "io.github.rivulet.Rivulet"
SIZES = (16, 32, 48, 64, 128, 256)


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    if result.returncode != 0:
        fail("%s exited with %d\n%s%s" % (" ".join(args), result.returncode, result.stdout,
                                          result.stderr))
    return result


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        fail("%s is not a PNG" % path)
    return struct.unpack(">II", head[16:24])


def main():
    build_dir, version = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="rivulet-install-") as destdir:
        env = dict(os.environ, DESTDIR=destdir)
        run(["cmake", "--install", build_dir, "--prefix", "/usr"], env=env)
        usr = os.path.join(destdir, "usr")

        expected = {
            "bin/rivulet": "exe",
            "bin/rivulet-cli": "exe",
            "share/applications/%s.desktop" % APP_ID: "file",
            "share/metainfo/%s.metainfo.xml" % APP_ID: "file",
            "share/icons/hicolor/scalable/apps/%s.svg" % APP_ID: "file",
            "share/doc/rivulet/README.md": "file",
            "share/doc/rivulet/docs/PROTOCOL.md": "file",
            "share/doc/rivulet/docs/ARCHITECTURE.md": "file",
            "share/doc/rivulet/docs/screenshot.png": "file",
            "share/doc/rivulet/docs/screenshot-messages.png": "file",
        }
        for size in SIZES:
            expected["share/icons/hicolor/%dx%d/apps/%s.png" % (size, size, APP_ID)] = "file"
        for rel, kind in sorted(expected.items()):
            path = os.path.join(usr, rel)
            if not os.path.isfile(path):
                fail("not installed: /usr/" + rel)
            if kind == "exe" and not os.access(path, os.X_OK):
                fail("not executable: /usr/" + rel)
        # nothing else: no test or bench programs, no stray files
        installed = set()
        for root, _, files in os.walk(destdir):
            for name in files:
                installed.add(os.path.relpath(os.path.join(root, name), usr))
        # docs/ is installed whole (the README links into it): any file of the source's docs/
        source_docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
        shipped_docs = {"share/doc/rivulet/docs/" + name for name in os.listdir(source_docs)}
        extra = installed - set(expected) - shipped_docs
        if extra:
            fail("installed but not expected: " + ", ".join(sorted(extra)))

        for size in SIZES:
            png = os.path.join(usr, "share/icons/hicolor/%dx%d/apps/%s.png" % (size, size, APP_ID))
            if png_size(png) != (size, size):
                fail("%s is %dx%d" % (png, *png_size(png)))

        # the README's relative links to docs/ still resolve in the installed copy
        readme = open(os.path.join(usr, "share/doc/rivulet/README.md"), encoding="utf-8").read()
        for link in re.findall(r"\]\((docs/[^)#]+)\)", readme):
            if not os.path.exists(os.path.join(usr, "share/doc/rivulet", link)):
                fail("README links to %s, which is not installed" % link)

        desktop = os.path.join(usr, "share/applications/%s.desktop" % APP_ID)
        if "Icon=%s\n" % APP_ID not in open(desktop, encoding="utf-8").read():
            fail("the .desktop file does not name the icon " + APP_ID)
        run(["desktop-file-validate", desktop])
        metainfo = open(os.path.join(usr, "share/metainfo/%s.metainfo.xml" % APP_ID),
                        encoding="utf-8").read()
        newest = re.search(r'<release version="([^"]+)"', metainfo)
        if not newest or newest.group(1) != version:
            fail("the metainfo's newest release is %s, the project's version %s"
                 % (newest.group(1) if newest else "missing", version))
        run(["appstreamcli", "validate-tree", "--no-net", usr])

        # the installed binaries run (no display: rivulet does not need one for --version)
        bare = {k: v for k, v in os.environ.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
        out = run([os.path.join(usr, "bin/rivulet"), "--version"], env=bare).stdout
        if version not in out:
            fail("rivulet --version printed %r" % out)
        out = run([os.path.join(usr, "bin/rivulet-cli"), "--help"], env=bare).stdout
        if "produce" not in out:
            fail("rivulet-cli --help printed %r" % out)
    print("install tree: %d files in place" % len(expected))


if __name__ == "__main__":
    main()
