// Capture files: round trip, thread safety, per-line errors (skip / stop), version and format
// checks, Twilio-style dumps with and without timestamps.
#include "replay/Capture.h"
#include "twilio/TwilioMessages.h"

#include <QBuffer>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace pacelab;
using namespace pacelab::capture;

namespace {

QList<Record> sampleRecords()
{
    QList<Record> list;
    const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
    list << Record::message(1000, Dir::In, MsgKind::Text, twilio::encodeConnected());
    list << Record::message(1500, Dir::In, MsgKind::Text, twilio::encodeStart(twilio::StartInfo{sid}, 1));
    for (int i = 0; i < 20; ++i)
        list << Record::message(2000 + i * 20000, Dir::Out, MsgKind::Text, twilio::encodeMedia(sid, QByteArray(160, char(i))));
    list << Record::message(500000, Dir::Out, MsgKind::Text, twilio::encodeMark(sid, QStringLiteral("m1 ünïcode")));
    list << Record::message(510000, Dir::Out, MsgKind::Binary, QByteArray("\x00\x01\xff\xfe raw", 8));
    list << Record::message(520000, Dir::Out, MsgKind::Text, QByteArray("\xff\xfe not utf-8", 13));
    Record tel;
    tel.type = Record::Type::TxTelemetry;
    tel.tUs = 1'000'000;
    tel.fields = QJsonObject{{QStringLiteral("fps"), 50}, {QStringLiteral("q"), 6}, {QStringLiteral("drops"), 0}};
    list << tel;
    Record rx;
    rx.type = Record::Type::RxSecond;
    rx.tUs = 1'000'100;
    rx.fields = QJsonObject{{QStringLiteral("fps"), 50}, {QStringLiteral("bufferedSec"), 0.12}};
    list << rx;
    Record ev;
    ev.type = Record::Type::Event;
    ev.tUs = 1'100'000;
    ev.fields = QJsonObject{{QStringLiteral("name"), QStringLiteral("closed")}, {QStringLiteral("text"), QStringLiteral("normal")}};
    list << ev;
    return list;
}

QList<Record> readAll(CaptureReader &r)
{
    QList<Record> out;
    while (auto rec = r.next())
        out << *rec;
    return out;
}

QByteArray header(int version = 1)
{
    return QByteArray("{\"type\":\"pacelab-capture\",\"version\":") + QByteArray::number(version) + "}\n";
}

} // namespace

class TestCapture final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip();
    void roundTripFile();
    void concurrentWriters();
    void badLinesSkipped();
    void stopOnError();
    void versionAndFormatChecks_data();
    void versionAndFormatChecks();
    void twilioDumpNoTimestamps();
    void twilioDumpWithTimestamps();
    void twilioDumpWrapped();
    void overlongLine();
};

void TestCapture::roundTrip()
{
    QBuffer buf;
    QVERIFY(buf.open(QIODevice::WriteOnly));
    CaptureWriter w;
    QVERIFY(w.open(&buf, QJsonObject{{QStringLiteral("source"), QStringLiteral("test")}}));
    const QList<Record> recs = sampleRecords();
    for (const Record &r : recs)
        w.record(r);
    w.close();
    QCOMPARE(w.recordsWritten(), recs.size());
    buf.close();

    const QList<QByteArray> lines = buf.data().split('\n');
    QVERIFY(lines.first().contains("\"type\":\"pacelab-capture\""));
    QVERIFY(lines.first().contains("\"version\":1"));

    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY2(r.open(&buf), qPrintable(r.fatalError()));
    QCOMPARE(r.format(), CaptureReader::Format::PaceLab);
    QCOMPARE(r.header().value(QStringLiteral("source")).toString(), QStringLiteral("test"));
    QList<Record> back = readAll(r);
    QVERIFY(r.atEnd());
    QCOMPARE(r.errorCount(), 0);
    QCOMPARE(back.size(), recs.size());
    for (int i = 0; i < recs.size(); ++i) {
        back[i].lineNo = 0;
        QVERIFY2(back[i] == recs[i], qPrintable(QStringLiteral("record %1: %2 vs %3").arg(i).arg(QString::fromUtf8(back[i].toLine()), QString::fromUtf8(recs[i].toLine()))));
    }
}

void TestCapture::roundTripFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.jsonl"));
    {
        CaptureWriter w;
        QVERIFY(w.open(path));
        w.recordMessage(Dir::Out, MsgKind::Text, twilio::encodeClear(QStringLiteral("MZx")));
        w.recordEvent(QStringLiteral("note"));
        // Flushed within a second even without close: the file is readable while recording
        // (as <path>.part until close() renames it).
        w.recordTxTelemetry(QJsonObject{{QStringLiteral("fps"), 50}});
        QFile f(path + QStringLiteral(".part"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().count('\n'), 4);
    }
    CaptureReader r;
    QVERIFY(r.open(path));
    const QList<Record> back = readAll(r);
    QCOMPARE(back.size(), 3);
    QCOMPARE(back[0].lineNo, 2);
    QVERIFY(back[0].tUs > 0);
    QVERIFY(back[1].tUs >= back[0].tUs);
    QCOMPARE(back[2].type, Record::Type::TxTelemetry);

    CaptureWriter bad;
    QVERIFY(!bad.open(dir.filePath(QStringLiteral("no/such/dir/c.jsonl"))));
    QVERIFY(bad.errorString().contains(QStringLiteral("cannot create")));
    bad.recordEvent(QStringLiteral("x"));
    QCOMPARE(bad.recordsLost(), 1);
}

void TestCapture::concurrentWriters()
{
    QBuffer buf;
    QVERIFY(buf.open(QIODevice::WriteOnly));
    CaptureWriter w;
    QVERIFY(w.open(&buf));
    const int perThread = 2000;
    auto work = [&](Dir dir) {
        for (int i = 0; i < perThread; ++i)
            w.recordMessage(dir, MsgKind::Text, QByteArray("{\"event\":\"media\",\"i\":") + QByteArray::number(i) + "}");
    };
    std::thread a(work, Dir::Out), b(work, Dir::In);
    a.join();
    b.join();
    w.close();
    buf.close();
    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY(r.open(&buf));
    const QList<Record> back = readAll(r);
    QCOMPARE(r.errorCount(), 0); // no interleaved (torn) lines
    QCOMPARE(back.size(), 2 * perThread);
    int lastOut = -1, lastIn = -1;
    for (const Record &rec : back) {
        const int i = rec.data.mid(rec.data.indexOf(":", 10) + 1).chopped(1).toInt();
        int &last = rec.dir == Dir::Out ? lastOut : lastIn;
        QCOMPARE(i, last + 1); // per-thread order kept
        last = i;
    }
}

void TestCapture::badLinesSkipped()
{
    QByteArray data = header();
    data += "{\"type\":\"msg\",\"t_us\":1,\"dir\":\"out\",\"kind\":\"text\",\"data\":\"{}\"}\n";
    data += "not json at all\n";
    data += "{\"type\":\"msg\",\"t_us\":2,\"dir\":\"up\",\"kind\":\"text\",\"data\":\"{}\"}\n";
    data += "{\"type\":\"msg\",\"t_us\":2.5,\"dir\":\"out\",\"kind\":\"text\",\"data\":\"{}\"}\n";
    data += "{\"type\":\"msg\",\"t_us\":3,\"dir\":\"out\",\"kind\":\"binary\",\"data\":\"@@@\"}\n";
    data += "{\"type\":\"msg\",\"t_us\":3,\"dir\":\"out\",\"kind\":\"text\"}\n";
    data += "{\"type\":\"frobnicate\",\"t_us\":3}\n";
    data += "[1,2,3]\n";
    data += "\n";
    data += "{\"dir\":\"in\",\"t_us\":4,\"kind\":\"text\",\"data\":\"{}\"}\n"; // type optional for messages
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY(r.open(&buf));
    const QList<Record> back = readAll(r);
    QCOMPARE(back.size(), 2);
    QCOMPARE(back[1].dir, Dir::In);
    QCOMPARE(back[1].lineNo, 11);
    QCOMPARE(r.errorCount(), 7);
    const QList<ReadError> e = r.errors();
    QCOMPARE(e[0].lineNo, 3);
    QVERIFY2(e[0].message.startsWith(QStringLiteral("line 3: invalid JSON")), qPrintable(e[0].message));
    QVERIFY2(e[1].message.contains(QStringLiteral("'dir' must be \"out\" or \"in\", got \"up\"")), qPrintable(e[1].message));
    QVERIFY2(e[2].message.contains(QStringLiteral("'t_us' must be an integer")), qPrintable(e[2].message));
    QVERIFY2(e[3].message.contains(QStringLiteral("base64")), qPrintable(e[3].message));
    QVERIFY2(e[4].message.contains(QStringLiteral("missing 'data'")), qPrintable(e[4].message));
    QVERIFY2(e[5].message.contains(QStringLiteral("unknown record type 'frobnicate'")), qPrintable(e[5].message));
    QVERIFY2(e[6].message.contains(QStringLiteral("not a JSON object")), qPrintable(e[6].message));
}

void TestCapture::stopOnError()
{
    QByteArray data = header();
    data += "{\"type\":\"msg\",\"t_us\":1,\"dir\":\"out\",\"kind\":\"text\",\"data\":\"{}\"}\n";
    data += "{broken\n";
    data += "{\"type\":\"msg\",\"t_us\":2,\"dir\":\"out\",\"kind\":\"text\",\"data\":\"{}\"}\n";
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    ReadOptions opt;
    opt.stopOnError = true;
    CaptureReader r(opt);
    QVERIFY(r.open(&buf));
    QCOMPARE(readAll(r).size(), 1);
    QCOMPARE(r.errorCount(), 1);
    QVERIFY(!r.atEnd());
    QCOMPARE(r.errors().first().lineNo, 3);
}

void TestCapture::versionAndFormatChecks_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("expect");
    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("newer") << header(2) << "version 2 is not supported";
    QTest::newRow("no version") << QByteArray("{\"type\":\"pacelab-capture\"}\n") << "no integer 'version'";
    QTest::newRow("wav") << QByteArray("RIFF\x10\x00\x00\x00WAVEfmt ", 16) << "WAV";
    QTest::newRow("text") << QByteArray("hello\nworld\n") << "not a PaceLab capture";
    QTest::newRow("binary") << QByteArray("\x01\x02\x00\x00\x05junk\n", 10) << "binary";
}

void TestCapture::versionAndFormatChecks()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, expect);
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY(!r.open(&buf));
    QVERIFY2(r.fatalError().contains(expect), qPrintable(r.fatalError()));
    QVERIFY(!r.next());
}

void TestCapture::twilioDumpNoTimestamps()
{
    const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
    QByteArray data = "bot starting\nINFO connected to twilio\n";
    for (int i = 0; i < 10; ++i)
        data += twilio::encodeMedia(sid, QByteArray(160, char(0x7f))) + "\n";
    data += twilio::encodeMark(sid, QStringLiteral("end")) + "\n";
    data += "{\"event\":\"media\",\"media\":{}}\n"; // no payload: reported
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY2(r.open(&buf), qPrintable(r.fatalError()));
    QCOMPARE(r.format(), CaptureReader::Format::TwilioDump);
    const QList<Record> back = readAll(r);
    QCOMPARE(back.size(), 11);
    for (int i = 0; i < 10; ++i) {
        QCOMPARE(back[i].dir, Dir::Out);
        QCOMPARE(back[i].tUs, i * 20000);
        QCOMPARE(back[i].lineNo, i + 3);
        QVERIFY(twilio::parseFromBot(back[i].data).ok());
    }
    QCOMPARE(r.assumedTimings(), 11);
    QVERIFY(r.notes().contains(QStringLiteral("20 ms")));
    QCOMPARE(r.errorCount(), 1);
    QVERIFY(r.errors().first().message.contains(QStringLiteral("media.payload")));
}

void TestCapture::twilioDumpWithTimestamps()
{
    const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
    QByteArray data;
    // ISO prefix + direction words; inbound carries Twilio's own media.timestamp too.
    data += "2026-11-25T12:00:00.000Z recv " + twilio::encodeStart(twilio::StartInfo{sid}, 1) + "\n";
    data += "2026-11-25T12:00:00.010Z sent " + twilio::encodeMedia(sid, QByteArray(160, 1)) + "\n";
    data += "2026-11-25T12:00:00.015Z sent " + twilio::encodeMedia(sid, QByteArray(160, 1)) + "\n";
    data += "2026-11-25T12:00:00.120Z sent " + twilio::encodeMedia(sid, QByteArray(320, 1)) + "\n";
    data += "12:00:00.200 << " + twilio::encodeInboundMedia(sid, 2, 1, 20, QByteArray(160, 2)) + "\n";
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY2(r.open(&buf), qPrintable(r.fatalError()));
    const QList<Record> back = readAll(r);
    QCOMPARE(back.size(), 5);
    QCOMPARE(r.assumedTimings(), 0);
    QCOMPARE(back[0].dir, Dir::In);
    QCOMPARE(back[1].dir, Dir::Out);
    QCOMPARE(back[2].tUs - back[1].tUs, 5000);
    QCOMPARE(back[3].tUs - back[1].tUs, 110000);
    QCOMPARE(back[4].dir, Dir::In);
    QVERIFY(r.notes().isEmpty());
}

void TestCapture::twilioDumpWrapped()
{
    const QString sid = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
    const QByteArray media = twilio::encodeMedia(sid, QByteArray(160, 1));
    QByteArray data;
    // Structured loggers: the event nested in an object, or JSON-encoded in a string field,
    // with an epoch-seconds timestamp.
    data += "{\"ts\":1700000000.000,\"level\":\"debug\",\"direction\":\"outbound\",\"msg\":" + media + "}\n";
    QJsonObject wrapped{{QStringLiteral("ts"), 1700000000.020}, {QStringLiteral("message"), QString::fromUtf8(media)}};
    data += QJsonDocument(wrapped).toJson(QJsonDocument::Compact) + "\n";
    data += "{\"ts\":1700000000.040,\"msg\":{\"event\":\"media\",\"media\":{\"payload\":\"####\"}}}\n";
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    CaptureReader r;
    QVERIFY2(r.open(&buf), qPrintable(r.fatalError()));
    const QList<Record> back = readAll(r);
    QCOMPARE(back.size(), 3);
    QCOMPARE(back[1].tUs - back[0].tUs, 20000);
    QCOMPARE(back[0].dir, Dir::Out);
    QCOMPARE(back[1].dir, Dir::Out);
    QVERIFY(twilio::parseFromBot(back[1].data).ok());
    // The bad payload is kept as a message: judging it (31951) is the analysis' job.
    QVERIFY(!twilio::parseFromBot(back[2].data).ok());
}

void TestCapture::overlongLine()
{
    QByteArray data = header();
    data += "{\"type\":\"msg\",\"t_us\":1,\"dir\":\"out\",\"kind\":\"text\",\"data\":\"" + QByteArray(5000, 'x') + "\"}\n";
    data += "{\"type\":\"msg\",\"t_us\":2,\"dir\":\"out\",\"kind\":\"text\",\"data\":\"{}\"}\n";
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    ReadOptions opt;
    opt.maxLineBytes = 2048;
    CaptureReader r(opt);
    QVERIFY(r.open(&buf));
    const QList<Record> back = readAll(r);
    QCOMPARE(back.size(), 1);
    QCOMPARE(back[0].tUs, 2);
    QCOMPARE(back[0].lineNo, 3);
    QVERIFY(r.errors().first().message.contains(QStringLiteral("longer than 2048 bytes")));
}

QTEST_APPLESS_MAIN(TestCapture)
#include "tst_capture.moc"
