#pragma once

#include <QByteArray>
#include <QString>

namespace pacelab {

// Writes the whole file atomically (QSaveFile): a failed write leaves any previous file intact.
// On failure *error (if given) reads "cannot write <what> '<path>': <reason>".
bool saveFileAtomically(const QString &path, const QByteArray &bytes, QString *error,
                        const QString &what = QString());

} // namespace pacelab
