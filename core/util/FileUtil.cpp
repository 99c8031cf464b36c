#include "FileUtil.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace pacelab {

bool writeAll(QIODevice *device, const char *data, qint64 size)
{
    qint64 done = 0;
    while (done < size) {
        const qint64 n = device->write(data + done, size - done);
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

bool saveFileAtomically(const QString &path, const QByteArray &bytes, QString *error, const QString &what)
{
    QString reason;
    const QFileInfo fi(path);
    // Unbuffered, written in a loop: a short write is retried, so a full disk surfaces as the
    // write's own errno ("No space left on device"). Buffered, the bytes would only meet the disk
    // in QSaveFile::commit(), which ignores that flush's failure (Qt 6.4) and renames a
    // truncated file over the previous one.
    if (fi.exists() && !fi.isFile() && !fi.isDir()) {
        // A device, FIFO or socket (/dev/null, /dev/stdout, a pipe): write straight into it.
        // QSaveFile would rename its temporary file over it, replacing the device node itself
        // when run as root.
        QFile f(path);
        if (f.open(QIODevice::WriteOnly | QIODevice::Unbuffered) && writeAll(&f, bytes.constData(), bytes.size()))
            return true;
        reason = f.errorString();
    } else {
        QSaveFile f(path);
        if (f.open(QIODevice::WriteOnly | QIODevice::Unbuffered) && writeAll(&f, bytes.constData(), bytes.size())
            && f.commit())
            return true;
        reason = fi.isDir() ? QStringLiteral("it is a directory") : f.errorString();
        f.cancelWriting();
    }
    if (error)
        *error = QStringLiteral("cannot write %1'%2': %3")
                     .arg(what.isEmpty() ? QString() : what + QLatin1Char(' '), path, reason);
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
