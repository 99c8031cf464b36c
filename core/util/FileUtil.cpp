#include "FileUtil.h"

#include <QSaveFile>

namespace pacelab {

bool saveFileAtomically(const QString &path, const QByteArray &bytes, QString *error, const QString &what)
{
    QSaveFile f(path);
    if (f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit())
        return true;
    if (error)
        *error = QStringLiteral("cannot write %1'%2': %3")
                     .arg(what.isEmpty() ? QString() : what + QLatin1Char(' '), path, f.errorString());
    return false;
}

} // namespace pacelab
