#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QString>

namespace pacelab {

// Writes the whole file atomically (QSaveFile): a failed write (disk full, missing directory,
// path is a directory) leaves any previous file intact. A path that is a device, FIFO or socket
// (/dev/null, /dev/stdout) is written directly instead of being replaced.
// On failure *error (if given) reads "cannot write <what> '<path>': <reason>".
bool saveFileAtomically(const QString &path, const QByteArray &bytes, QString *error,
                        const QString &what = QString());

// Checks, before any work is done, that a file can be created or replaced at `path`: it is not a
// directory, its directory exists and is a directory, and it is writable. On failure *error reads
// "cannot write <what> '<path>': <reason>". A run that would only fail at the end when it saves
// its result should call this first.
bool checkOutputPath(const QString &path, QString *error, const QString &what = QString());

// Writes all of data, retrying short writes; false at the first write that fails (its reason in
// device->errorString()). For unbuffered files: a full disk then reports its errno instead of
// "Unknown error" from a later flush.
bool writeAll(QIODevice *device, const char *data, qint64 size);

} // namespace pacelab
