// Capture writer (docs/capture-format.md): buffered, thread-safe, written to "<path>.part" and
// renamed on close.
#include "Capture.h"

#include "util/FileUtil.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace pacelab::capture {

namespace {

// Atomic replace (POSIX rename); elsewhere remove + rename.
bool replaceFile(const QString &from, const QString &to)
{
#ifdef Q_OS_UNIX
    return ::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0;
#else
    QFile::remove(to);
    return QFile::rename(from, to);
#endif
}

} // namespace

struct CaptureWriter::Private
{
    std::mutex mutex;
    std::unique_ptr<QFile> file;
    QIODevice *dev = nullptr;
    // Writing to a file: the capture goes to partPath and is renamed to path on a clean close,
    // so a failed run never destroys an earlier capture of the same name. Empty partPath: the
    // path is a device or FIFO (/dev/stdout), written directly.
    QString path;
    QString partPath;
    QByteArray buffer;
    qint64 lastFlushUs = 0;
    qint64 written = 0;
    qint64 lost = 0;
    QString error;

    bool writeHeaderLocked(const QJsonObject &extra)
    {
        Record h;
        h.type = Record::Type::Header;
        h.fields = extra;
        h.fields.insert(QStringLiteral("created"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        h.fields.insert(QStringLiteral("tool"), QStringLiteral("pacelab %1").arg(QStringLiteral(PACELAB_VERSION)));
        h.fields.insert(QStringLiteral("clock"), QStringLiteral("steady_clock microseconds; only differences matter"));
        h.fields.insert(QStringLiteral("t0_us"), steadyNowUs());
        buffer += h.toLine();
        return flushLocked();
    }

    bool flushLocked()
    {
        lastFlushUs = steadyNowUs();
        if (!dev || buffer.isEmpty())
            return error.isEmpty();
        if (!writeAll(dev, buffer.constData(), buffer.size())) {
            error = file ? QStringLiteral("cannot write capture '%1': %2").arg(file->fileName(), dev->errorString())
                         : QStringLiteral("write failed: %1").arg(dev->errorString());
            dev = nullptr; // stop writing; later records are counted as lost
            buffer.clear();
            return false;
        }
        buffer.clear();
        if (file && !file->flush()) {
            error = QStringLiteral("cannot write capture '%1': %2").arg(file->fileName(), file->errorString());
            dev = nullptr;
            return false;
        }
        return true;
    }

    void appendLocked(const Record &r, bool flushNow)
    {
        if (!dev) {
            ++lost;
            return;
        }
        buffer += r.toLine();
        ++written;
        const qint64 now = steadyNowUs();
        if (flushNow || now - lastFlushUs >= 1'000'000 || buffer.size() >= 1024 * 1024)
            flushLocked();
    }
};

CaptureWriter::CaptureWriter() : d(std::make_unique<Private>()) {}

CaptureWriter::~CaptureWriter()
{
    close();
}

bool CaptureWriter::open(const QString &path, const QJsonObject &headerExtra)
{
    std::lock_guard lock(d->mutex);
    const QFileInfo fi(path);
    if (fi.isDir()) {
        d->error = QStringLiteral("cannot create capture '%1': it is a directory").arg(path);
        return false;
    }
    const bool direct = fi.exists() && !fi.isFile(); // device, FIFO, socket
    const QString target = direct ? path : path + QStringLiteral(".part");
    auto f = std::make_unique<QFile>(target);
    // Unbuffered: lines are batched in d->buffer already, and a full disk must show at the write
    // with its errno (a buffered QFile reports "Unknown error" from a later flush).
    if (!f->open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Unbuffered)) {
        d->error = QStringLiteral("cannot create capture '%1': %2").arg(target, f->errorString());
        return false;
    }
    d->path = path;
    d->partPath = direct ? QString() : target;
    d->file = std::move(f);
    d->dev = d->file.get();
    d->error.clear();
    d->written = d->lost = 0;
    return d->writeHeaderLocked(headerExtra);
}

bool CaptureWriter::open(QIODevice *device, const QJsonObject &headerExtra)
{
    std::lock_guard lock(d->mutex);
    if (!device || !device->isWritable()) {
        d->error = QStringLiteral("capture device is not open for writing");
        return false;
    }
    d->file.reset();
    d->path.clear();
    d->partPath.clear();
    d->dev = device;
    d->error.clear();
    d->written = d->lost = 0;
    return d->writeHeaderLocked(headerExtra);
}

bool CaptureWriter::isOpen() const
{
    std::lock_guard lock(d->mutex);
    return d->dev != nullptr;
}

void CaptureWriter::close()
{
    std::lock_guard lock(d->mutex);
    d->flushLocked();
    if (d->file) {
        d->file->close();
        if (!d->partPath.isEmpty()) {
            if (d->error.isEmpty()) {
                if (!replaceFile(d->partPath, d->path))
                    d->error = QStringLiteral("cannot rename capture '%1' to '%2': %3")
                                   .arg(d->partPath, d->path, QString::fromLocal8Bit(strerror(errno)));
            } else if (!d->error.contains(QLatin1String("left unchanged"))) {
                d->error += QStringLiteral("; the partial capture is in '%1', '%2' was left unchanged")
                                .arg(d->partPath, d->path);
            }
        }
    }
    d->file.reset();
    d->partPath.clear();
    d->dev = nullptr;
}

void CaptureWriter::flush()
{
    std::lock_guard lock(d->mutex);
    d->flushLocked();
}

void CaptureWriter::recordMessage(Dir dir, MsgKind kind, const QByteArray &data, qint64 tUs)
{
    record(Record::message(tUs < 0 ? steadyNowUs() : tUs, dir, kind, data));
}

void CaptureWriter::recordTxTelemetry(const QJsonObject &snapshot, qint64 tUs)
{
    Record r;
    r.type = Record::Type::TxTelemetry;
    r.tUs = tUs < 0 ? steadyNowUs() : tUs;
    r.fields = snapshot;
    record(r);
}

void CaptureWriter::recordRxSecond(const QJsonObject &perSecond, qint64 tUs)
{
    Record r;
    r.type = Record::Type::RxSecond;
    r.tUs = tUs < 0 ? steadyNowUs() : tUs;
    r.fields = perSecond;
    record(r);
}

void CaptureWriter::recordEvent(const QString &name, const QString &text, qint64 tUs)
{
    Record r;
    r.type = Record::Type::Event;
    r.tUs = tUs < 0 ? steadyNowUs() : tUs;
    r.fields.insert(QStringLiteral("name"), name);
    if (!text.isEmpty())
        r.fields.insert(QStringLiteral("text"), text);
    record(r);
}

void CaptureWriter::record(const Record &r)
{
    std::lock_guard lock(d->mutex);
    // Telemetry is once a second: flushing with it keeps the file at most ~1 s behind.
    d->appendLocked(r, r.type == Record::Type::TxTelemetry || r.type == Record::Type::RxSecond);
}

qint64 CaptureWriter::recordsWritten() const
{
    std::lock_guard lock(d->mutex);
    return d->written;
}

qint64 CaptureWriter::recordsLost() const
{
    std::lock_guard lock(d->mutex);
    return d->lost;
}

QString CaptureWriter::errorString() const
{
    std::lock_guard lock(d->mutex);
    return d->error;
}

} // namespace pacelab::capture
