#pragma once

#include <QString>

// Rivulet's names for Qt: organisation and application "rivulet", so QSettings writes
// ~/.config/rivulet/rivulet.conf ($XDG_CONFIG_HOME/rivulet/rivulet.conf); the desktop file
// id for window managers (Wayland's app_id); the version. Call right after the
// QCoreApplication is made.
void setApplicationIdentity();

// The reverse-DNS id of the .desktop file, the icons and the AppStream metainfo.
inline constexpr char kDesktopFileId[] = "io.github.rivulet.Rivulet";

// Earlier builds saved their settings in ~/.config/Unknown Organization/rivulet.conf (no
// organisation was set). Moves that file to where QSettings looks now, once: only when the
// new file does not exist yet. Returns what it did, for a line on stderr, or an empty string
// when there was nothing to move.
QString migrateOldSettings();
