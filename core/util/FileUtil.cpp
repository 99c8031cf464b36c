#include "FileUtil.h"

#include <QFileInfo>
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

bool checkOutputPath(const QString &path, QString *error, const QString &what)
{
    const QString prefix = QStringLiteral("cannot write %1'%2': ")
                               .arg(what.isEmpty() ? QString() : what + QLatin1Char(' '), path);
    auto fail = [&](const QString &why) {
        if (error)
            *error = prefix + why;
        return false;
    };
    if (path.trimmed().isEmpty())
        return fail(QStringLiteral("empty path"));
    const QFileInfo fi(path);
    if (fi.isDir())
        return fail(QStringLiteral("it is a directory, a file name is needed"));
    const QFileInfo dir(fi.absolutePath());
    if (!dir.exists())
        return fail(QStringLiteral("directory '%1' does not exist").arg(dir.filePath()));
    if (!dir.isDir())
        return fail(QStringLiteral("'%1' is not a directory").arg(dir.filePath()));
    if (fi.exists() ? !fi.isWritable() : !dir.isWritable())
        return fail(QStringLiteral("permission denied"));
    return true;
}

} // namespace pacelab
