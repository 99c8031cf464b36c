// Write errors for every file PaceLab writes: WAV (wav::writeFile / writeMulawFile), the
// emulator's recording, checklist reports (JSON, JUnit, HTML), summaries (saveFileAtomically)
// and captures (CaptureWriter). Each must fail with an error naming the path and the reason and
// leave an earlier file of the same name byte-for-byte intact.
//
// Tests run as root, so permissions prove nothing. The faults used instead:
// - the parent "directory" is a regular file (ENOTDIR), the path is a directory (EISDIR);
// - the file size limit (RLIMIT_FSIZE, SIGXFSZ ignored): a write past 16 bytes fails (EFBIG)
//   half-way through the file, exactly like a full disk does, on any filesystem, unprivileged;
// - a character device that is always full (/dev/full, or a copy made with mknod when root so
//   that a regression cannot replace the machine's own /dev/full): ENOSPC on write;
// - a real full filesystem: a 64 KiB tmpfs, only where mounting is allowed (skipped otherwise).
#include "audio/WavFile.h"
#include "check/Reports.h"
#include "emulator/TwilioEmulator.h"
#include "replay/Capture.h"
#include "util/FileUtil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#endif

using namespace pacelab;

namespace {

using WriteFn = std::function<bool(const QString &path, QString *error)>;

PcmBuffer oneSecondTone()
{
    PcmBuffer pcm;
    pcm.sampleRate = 8000;
    pcm.samples.resize(8000);
    for (int i = 0; i < pcm.samples.size(); ++i)
        pcm.samples[i] = qint16((i % 40) * 400 - 8000);
    return pcm;
}

WriteFn writerFor(const QString &name)
{
    if (name == QLatin1String("wav pcm16"))
        return [](const QString &p, QString *e) { return wav::writeFile(p, oneSecondTone(), wav::Encoding::Pcm16, e); };
    if (name == QLatin1String("wav mulaw"))
        return [](const QString &p, QString *e) { return wav::writeMulawFile(p, QByteArray(8000, char(0x7F)), 8000, e); };
    if (name == QLatin1String("emulator recording"))
        return [](const QString &p, QString *e) {
            TwilioEmulator emu; // nothing received: a header-only WAV, still more than 16 bytes
            return emu.saveRecording(p, EmulatorOptions::RecordEncoding::Pcm16, e);
        };
    if (name == QLatin1String("report json"))
        return [](const QString &p, QString *e) { return check::writeJson({}, p, e); };
    if (name == QLatin1String("report junit"))
        return [](const QString &p, QString *e) { return check::writeJUnit({}, p, e); };
    if (name == QLatin1String("report html"))
        return [](const QString &p, QString *e) { return check::writeHtml({}, p, e); };
    if (name == QLatin1String("summary"))
        return [](const QString &p, QString *e) {
            return saveFileAtomically(p, QByteArray(4096, 'j'), e, QStringLiteral("summary"));
        };
    if (name == QLatin1String("capture"))
        return [](const QString &p, QString *e) {
            capture::CaptureWriter w;
            if (!w.open(p, QJsonObject{{QStringLiteral("source"), QStringLiteral("test")}})) {
                *e = w.errorString();
                return false;
            }
            for (int i = 0; i < 200; ++i)
                w.recordEvent(QStringLiteral("note"), QString(100, QLatin1Char('x')));
            w.close();
            *e = w.errorString();
            return e->isEmpty();
        };
    return {};
}

const QStringList kWriters{QStringLiteral("wav pcm16"),    QStringLiteral("wav mulaw"),
                           QStringLiteral("emulator recording"), QStringLiteral("report json"),
                           QStringLiteral("report junit"), QStringLiteral("report html"),
                           QStringLiteral("summary"),      QStringLiteral("capture")};

const QByteArray kPrevious("previous file: must survive a failed write\n");

bool writePrevious(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(kPrevious) == kPrevious.size();
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The message names the path and gives a reason after it.
void verifyMessage(const QString &error, const QString &path, const QString &reason)
{
    QVERIFY2(error.contains(path), qPrintable(QStringLiteral("'%1' does not name '%2'").arg(error, path)));
    const QString after = error.mid(error.indexOf(path) + path.size());
    QVERIFY2(after.contains(QLatin1Char(':')), qPrintable(error));
    if (!reason.isEmpty())
        QVERIFY2(error.contains(reason, Qt::CaseInsensitive),
                 qPrintable(QStringLiteral("'%1' does not say '%2'").arg(error, reason)));
}

#ifdef Q_OS_LINUX
// Sets the file size limit for the current scope.
class FileSizeLimit
{
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        getrlimit(RLIMIT_FSIZE, &m_saved);
        rlimit r = m_saved;
        r.rlim_cur = bytes;
        m_ok = setrlimit(RLIMIT_FSIZE, &r) == 0;
    }
    ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &m_saved); }
    bool ok() const { return m_ok; }

private:
    rlimit m_saved{};
    bool m_ok = false;
};
#endif

} // namespace

class TestWriteErrors final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void writes_data();
    void writes();
    void parentIsAFile_data() { writes_data(); }
    void parentIsAFile();
    void pathIsADirectory_data() { writes_data(); }
    void pathIsADirectory();
    void failsHalfWay_data() { writes_data(); }
    void failsHalfWay();
    void deviceIsFull_data() { writes_data(); }
    void deviceIsFull();
    void filesystemIsFull_data() { writes_data(); }
    void filesystemIsFull();
    void devNullIsNotReplaced();
    void captureFailsMidRun();
    void cliCaptureFailsMidRun();
};

void TestWriteErrors::initTestCase()
{
#ifdef Q_OS_LINUX
    // Past RLIMIT_FSIZE the kernel sends SIGXFSZ (default: die); ignored, write() fails EFBIG.
    std::signal(SIGXFSZ, SIG_IGN);
#endif
}

void TestWriteErrors::writes_data()
{
    QTest::addColumn<QString>("writer");
    for (const QString &w : kWriters)
        QTest::newRow(qPrintable(w)) << w;
}

void TestWriteErrors::writes()
{
    // The baseline: every writer replaces an earlier file and leaves nothing else behind.
    QFETCH(QString, writer);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.file"));
    QVERIFY(writePrevious(path));
    QString error;
    QVERIFY2(writerFor(writer)(path, &error), qPrintable(error));
    const QByteArray now = readAll(path);
    QVERIFY(!now.isEmpty());
    QVERIFY(now != kPrevious);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("out.file")});
}

void TestWriteErrors::parentIsAFile()
{
    QFETCH(QString, writer);
    QTemporaryDir dir;
    const QString notDir = dir.filePath(QStringLiteral("plain"));
    QVERIFY(writePrevious(notDir));
    const QString path = notDir + QStringLiteral("/out.file");
    QString error;
    QVERIFY(!writerFor(writer)(path, &error));
    verifyMessage(error, path, QString());
    QCOMPARE(readAll(notDir), kPrevious);
    qInfo().noquote() << error;
}

void TestWriteErrors::pathIsADirectory()
{
    QFETCH(QString, writer);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("adir"));
    QVERIFY(QDir().mkdir(path));
    QVERIFY(writePrevious(path + QStringLiteral("/inside")));
    QString error;
    QVERIFY(!writerFor(writer)(path, &error));
    verifyMessage(error, path, QStringLiteral("directory"));
    QVERIFY(QFileInfo(path).isDir());
    QCOMPARE(readAll(path + QStringLiteral("/inside")), kPrevious);
    qInfo().noquote() << error;
}

void TestWriteErrors::failsHalfWay()
{
#ifndef Q_OS_LINUX
    QSKIP("uses RLIMIT_FSIZE");
#else
    QFETCH(QString, writer);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.file"));
    QVERIFY(writePrevious(path));
    QString error;
    bool ok = true;
    {
        FileSizeLimit limit(16);
        QVERIFY(limit.ok());
        ok = writerFor(writer)(path, &error);
    }
    QVERIFY2(!ok, "the write past the size limit must fail");
    verifyMessage(error, path, QStringLiteral("too large"));
    QCOMPARE(readAll(path), kPrevious);
    // Nothing half-written under another name, except the capture's documented partial file.
    QStringList left = QDir(dir.path()).entryList(QDir::Files | QDir::Hidden);
    left.removeAll(QStringLiteral("out.file"));
    if (writer == QLatin1String("capture")) {
        QCOMPARE(left, QStringList{QStringLiteral("out.file.part")});
        QVERIFY(error.contains(QLatin1String("left unchanged")) || error.contains(QLatin1String(".part")));
    } else {
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char(' '))));
    }
    qInfo().noquote() << error;
#endif
}

void TestWriteErrors::deviceIsFull()
{
#ifndef Q_OS_LINUX
    QSKIP("uses a /dev/full device");
#else
    QFETCH(QString, writer);
    QTemporaryDir dir;
    QString path = dir.filePath(QStringLiteral("full"));
    // As root, a copy of /dev/full: if the writer wrongly replaced the node, only the copy goes.
    if (::mknod(QFile::encodeName(path).constData(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
        if (::geteuid() == 0)
            QSKIP("cannot make a /dev/full device node here");
        path = QStringLiteral("/dev/full"); // not root: nobody can replace it
    }
    if (!QFileInfo::exists(path))
        QSKIP("no /dev/full");
    QString error;
    QVERIFY(!writerFor(writer)(path, &error));
    verifyMessage(error, path, QStringLiteral("No space left on device"));
    struct stat st{};
    QVERIFY(::stat(QFile::encodeName(path).constData(), &st) == 0);
    QVERIFY2(S_ISCHR(st.st_mode), "the device node was replaced by a file");
    qInfo().noquote() << error;
#endif
}

void TestWriteErrors::filesystemIsFull()
{
#ifndef Q_OS_LINUX
    QSKIP("uses a tmpfs mount");
#else
    QFETCH(QString, writer);
    QTemporaryDir dir;
    const QString mnt = dir.filePath(QStringLiteral("tiny"));
    QVERIFY(QDir().mkdir(mnt));
    if (::mount("tmpfs", QFile::encodeName(mnt).constData(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0)
        QSKIP("mounting a tmpfs is not allowed here (needs CAP_SYS_ADMIN); failsHalfWay covers the same path");
    auto unmount = qScopeGuard([&] { ::umount2(QFile::encodeName(mnt).constData(), MNT_DETACH); });
    const QString path = mnt + QStringLiteral("/out.file");
    QVERIFY(writePrevious(path));
    {
        // Fill the filesystem to the last block.
        QFile filler(mnt + QStringLiteral("/filler"));
        QVERIFY(filler.open(QIODevice::WriteOnly | QIODevice::Unbuffered));
        const QByteArray block(1024, 'f');
        while (filler.write(block) == block.size()) {
        }
        const QByteArray byte(1, 'f');
        while (filler.write(byte) == 1) {
        }
    }
    QString error;
    QVERIFY(!writerFor(writer)(path, &error));
    verifyMessage(error, path, QStringLiteral("No space left on device"));
    QCOMPARE(readAll(path), kPrevious);
    qInfo().noquote() << error;
#endif
}

void TestWriteErrors::devNullIsNotReplaced()
{
#ifndef Q_OS_LINUX
    QSKIP("Linux device nodes");
#else
    // A report or WAV sent to a device (as scripts do with /dev/null) is written into it; an
    // atomic rename over it would turn the device into a regular file when run as root.
    QTemporaryDir dir;
    QString path = dir.filePath(QStringLiteral("null"));
    if (::mknod(QFile::encodeName(path).constData(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
        if (::geteuid() == 0)
            QSKIP("cannot make a /dev/null device node here");
        path = QStringLiteral("/dev/null");
    }
    for (const QString &w : kWriters) {
        QString error;
        QVERIFY2(writerFor(w)(path, &error), qPrintable(w + QStringLiteral(": ") + error));
        struct stat st{};
        QVERIFY(::stat(QFile::encodeName(path).constData(), &st) == 0);
        QVERIFY2(S_ISCHR(st.st_mode), qPrintable(w + QStringLiteral(" replaced the device node")));
    }
#endif
}

void TestWriteErrors::captureFailsMidRun()
{
#ifndef Q_OS_LINUX
    QSKIP("uses RLIMIT_FSIZE");
#else
    // The disk fills while a session is being captured: recording stops (records counted as
    // lost, the session goes on), the error names the file and the reason, the partial capture
    // stays in <path>.part and the earlier capture is untouched.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("session.jsonl"));
    QVERIFY(writePrevious(path));
    capture::CaptureWriter w;
    QVERIFY2(w.open(path), qPrintable(w.errorString()));
    const qint64 headerBytes = QFileInfo(path + QStringLiteral(".part")).size();
    QVERIFY(headerBytes > 0);
    {
        FileSizeLimit limit(rlim_t(headerBytes + 1000));
        QVERIFY(limit.ok());
        for (int i = 0; i < 100; ++i) {
            w.recordEvent(QStringLiteral("note"), QString(100, QLatin1Char('x')));
            if (i % 10 == 9)
                w.flush();
        }
    }
    QVERIFY(w.recordsLost() > 0);
    w.close();
    const QString error = w.errorString();
    verifyMessage(error, path + QStringLiteral(".part"), QStringLiteral("too large"));
    QVERIFY2(error.contains(QLatin1String("left unchanged")), qPrintable(error));
    QCOMPARE(readAll(path), kPrevious);
    // The partial capture is readable up to the failure.
    capture::CaptureReader r;
    QVERIFY2(r.open(path + QStringLiteral(".part")), qPrintable(r.fatalError()));
    int n = 0;
    while (r.next())
        ++n;
    QVERIFY(n > 0);
    qInfo().noquote() << error << QStringLiteral("(%1 records readable, %2 lost)").arg(n).arg(w.recordsLost());
#endif
}

void TestWriteErrors::cliCaptureFailsMidRun()
{
#ifndef Q_OS_LINUX
    QSKIP("uses RLIMIT_FSIZE");
#else
    // `pacelab --headless --capture` on a disk that fills: the run says so and fails, the earlier
    // capture of that name survives.
    QTemporaryDir dir;
    const QString cap = dir.filePath(QStringLiteral("session.jsonl"));
    QVERIFY(writePrevious(cap));
    QProcess p;
    p.setChildProcessModifier([] {
        // In the child, before exec: ignored signals stay ignored, limits are inherited.
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit r{};
        getrlimit(RLIMIT_FSIZE, &r);
        r.rlim_cur = 4096;
        setrlimit(RLIMIT_FSIZE, &r);
    });
    p.start(QStringLiteral(PACELAB_BINARY), {QStringLiteral("--headless"), QStringLiteral("--duration"),
                                             QStringLiteral("3"), QStringLiteral("--capture"), cap});
    QVERIFY(p.waitForStarted());
    QVERIFY(p.waitForFinished(60000));
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QVERIFY2(p.exitCode() != 0, qPrintable(err));
    verifyMessage(err, cap + QStringLiteral(".part"), QStringLiteral("too large"));
    QVERIFY2(err.contains(QLatin1String("left unchanged")), qPrintable(err));
    QCOMPARE(readAll(cap), kPrevious);
    for (const QString &line : err.split(QLatin1Char('\n')))
        if (line.contains(QLatin1String("capture")))
            qInfo().noquote() << line;
#endif
}

QTEST_GUILESS_MAIN(TestWriteErrors)
#include "tst_writeerrors.moc"
