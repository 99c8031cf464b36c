#pragma once

#include <QByteArray>
#include <QString>

namespace pacelab {

// Writes the whole file atomically (QSaveFile): a failed write leaves any previous file intact.
// On failure *error (if given) reads "cannot write <what> '<path>': <reason>".
bool saveFileAtomically(const QString &path, const QByteArray &bytes, QString *error,
                        const QString &what = QString());

// Checks, before any work is done, that a file can be created or replaced at `path`: it is not a
// directory, its directory exists and is a directory, and it is writable. On failure *error reads
// "cannot write <what> '<path>': <reason>". A run that would only fail at the end when it saves
// its result should call this first.
bool checkOutputPath(const QString &path, QString *error, const QString &what = QString());

} // namespace pacelab
