// Log doctor (core/doctor): the four misreads of issue 12 (each failed on the single-stream
// doctor), the log shapes production writes (tests/data/doctor/shape-*), stream ids, bad values,
// each detector on its own, determinism, JSON evidence, cancel and progress.
#include "doctor/Follower.h"
#include "doctor/LogDoctor.h"
#include "doctor/StreamContext.h"

#include <QBuffer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace pacelab::doctor;

namespace {

QString dataPath(const QString &name)
{
    return QStringLiteral(PACELAB_TEST_DATA_DIR) + QStringLiteral("/doctor/") + name;
}

const Diagnosis *find(const Report &r, Kind k)
{
    for (const Diagnosis &d : r.diagnoses)
        if (d.kind == k)
            return &d;
    return nullptr;
}

std::vector<MetricLine> series(const QList<double> &fps, const QList<double> &q, const QList<double> &drops = {})
{
    std::vector<MetricLine> s;
    for (qsizetype i = 0; i < fps.size(); ++i) {
        MetricLine m;
        m.lineNo = i + 1;
        m.fps = fps[i];
        m.q = i < q.size() ? q[i] : 0;
        m.drops = i < drops.size() ? drops[i] : 0;
        m.text = QStringLiteral("fps=%1 q=%2").arg(m.fps).arg(m.q);
        s.push_back(m);
    }
    return s;
}

QList<double> repeat(double v, int n)
{
    return QList<double>(n, v);
}

} // namespace

class TestDoctor final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The four misreads of issue 12.
    void misread25FpsWobbleIsAProblem();
    void misread100FpsOffersTwoLoops();
    void misreadTwoCallsAreTwoStreams();
    void misreadCatchUpIsReanchoringFailure();
    // Shapes.
    void shapes_data();
    void shapes();
    void streamIds_data();
    void streamIds();
    void badValues();
    void interleavedWithoutIds();
    void timestampsNormalise();
    // Detectors, one by one.
    void detectorStall();
    void detectorCatchUp();
    void detectorDrift();
    void detectorBacklog();
    void detectorRate();
    void detectorDrops();
    void detectorRateOff();
    void wordingTable();
    // Report.
    void deterministicAndJsonEvidence();
    void gzipCorruptAndTruncated();
    void cancelAndProgress();
    void corpus();
    // Live.
    void followerVerdicts();
    void followPipe();
    void followFile();
};

namespace {
QByteArray liveLog()
{
    QByteArray d;
    for (int i = 0; i < 6; ++i)
        d += "[TX] fps=50 q=3 drops=0\n";
    for (int i = 0; i < 4; ++i)
        d += "[TX] fps=1 q=120 drops=50\n";
    return d;
}
QStringList verdictLines(const QByteArray &out)
{
    QStringList v;
    for (const QString &l : QString::fromUtf8(out).split(QLatin1Char('\n')))
        if (l.startsWith(QStringLiteral("line ")))
            v << l;
    return v;
}
const QStringList kLiveVerdicts{QStringLiteral("line 1: INFO too-little-data - Too little data to judge"),
                                QStringLiteral("line 3: OK healthy - Healthy"),
                                QStringLiteral("line 7: PROBLEM sender-stalled - Sender stalled / socket back-pressure")};
} // namespace

void TestDoctor::misread25FpsWobbleIsAProblem()
{
    // 24-26 fps with q 0-3 for 12 s: was a 3-second "producer too slow" warning.
    const Report r = LogDoctor::analyzeFile(dataPath(QStringLiteral("misread-25fps-wobble.log")));
    QVERIFY2(r.inputOk, qPrintable(r.error));
    QCOMPARE(r.diagnoses.first().severity, Severity::Problem);
    QCOMPARE(r.diagnoses.first().kind, Kind::FrameSize);
    QVERIFY2(r.diagnoses.first().seconds >= 8, qPrintable(r.toText()));
    QCOMPARE(r.exitCode(), 1);
}

void TestDoctor::misread100FpsOffersTwoLoops()
{
    const Report r = LogDoctor::analyzeFile(dataPath(QStringLiteral("misread-100fps.log")));
    const Diagnosis &d = r.diagnoses.first();
    QCOMPARE(d.severity, Severity::Problem);
    bool twoLoops = false, tenMs = false;
    for (const Candidate &c : d.candidates) {
        twoLoops = twoLoops || c.cause.contains(QStringLiteral("two transmit loops"));
        tenMs = tenMs || c.cause.contains(QStringLiteral("10 ms"));
    }
    QVERIFY2(twoLoops && tenMs, qPrintable(r.toText()));
    QVERIFY2(d.tellApart.contains(QStringLiteral("bytes=")), qPrintable(r.toText()));
    // With bytes= logged (160 B per frame) the doctor tells them apart: two loops.
    QString text;
    for (int i = 0; i < 12; ++i)
        text += QStringLiteral("tx fps=%1 q=0 drops=0 bytes=%2\n").arg(99 + i % 3).arg((99 + i % 3) * 160);
    const Report r2 = LogDoctor::analyzeText(text);
    QCOMPARE(r2.diagnoses.first().kind, Kind::TwoSenders);
    // ...and 80 B frames: 10 ms frames.
    text.clear();
    for (int i = 0; i < 12; ++i)
        text += QStringLiteral("tx fps=%1 q=0 drops=0 bytes=%2\n").arg(99 + i % 3).arg((99 + i % 3) * 80);
    const Report r3 = LogDoctor::analyzeText(text);
    QCOMPARE(r3.diagnoses.first().kind, Kind::FrameSize);
    QVERIFY(r3.diagnoses.first().candidates.first().cause.contains(QStringLiteral("10 ms")));
}

void TestDoctor::misreadTwoCallsAreTwoStreams()
{
    // Two calls' lines alternate, each tagged call_sid=: was "no known failure pattern".
    const Report r = LogDoctor::analyzeFile(dataPath(QStringLiteral("misread-two-calls.log")));
    QCOMPARE(r.streams.size(), 2);
    QCOMPARE(r.streams.first().id, QStringLiteral("CA9a8b9a8b9a8b9a8b9a8b9a8b9a8b9a8b"));
    QCOMPARE(r.streams.first().worst, Severity::Problem);
    QCOMPARE(r.streams.first().top, Kind::FrameSize);
    QCOMPARE(r.streams.last().top, Kind::Healthy);
    QCOMPARE(r.diagnoses.first().stream, r.streams.first().id);
    QVERIFY(r.toText().contains(QStringLiteral("2 streams (calls): 1 with a problem")));
}

void TestDoctor::misreadCatchUpIsReanchoringFailure()
{
    const Report r = LogDoctor::analyzeFile(dataPath(QStringLiteral("misread-catchup.log")));
    QCOMPARE(r.diagnoses.first().kind, Kind::CatchUpBurst);
    QCOMPARE(r.diagnoses.first().severity, Severity::Problem);
    QVERIFY(r.diagnoses.first().fix.contains(QStringLiteral("re-anchor")));
}

void TestDoctor::shapes_data()
{
    QTest::addColumn<QString>("file");
    for (const char *f : {"shape-uvicorn.log", "shape-journald.log", "shape-docker-json.log", "shape-k8s-cri.log",
                          "shape-json-message-string.log", "shape-json-escaped.log", "shape-ansi-colour.log",
                          "shape-floats-colon.log", "shape-python-logging.log", "shape-crlf.log",
                          "shape-lone-cr.log", "shape-gzip.log.gz"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestDoctor::shapes()
{
    // Each file: 20 seconds, a 4-second stall in the middle.
    QFETCH(QString, file);
    const Report r = LogDoctor::analyzeFile(dataPath(file));
    QVERIFY2(r.inputOk, qPrintable(r.error));
    QCOMPARE(r.metricLines, 20);
    QCOMPARE(r.diagnoses.first().kind, Kind::SenderStalled);
    for (const Evidence &e : r.diagnoses.first().evidence)
        QVERIFY2(!e.text.contains(QChar(0x1b)), qPrintable(e.text)); // colours stripped from citations
}

void TestDoctor::streamIds_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("stream");
    const QString ca = QStringLiteral("CA0123456789abcdef0123456789abcdef");
    const QString mz = QStringLiteral("MZ0123456789abcdef0123456789abcdef");
    QTest::newRow("call_sid=") << "tx call_sid=" + ca + " fps=50 q=1 drops=0" << ca;
    QTest::newRow("stream_sid= wins over CA") << "tx " + ca + " stream_sid=" + mz + " fps=50 q=1" << mz;
    QTest::newRow("bare MZ over CA") << "tx " + ca + " " + mz + " fps=50 q=1" << mz;
    QTest::newRow("json callSid") << "{\"callSid\":\"" + ca + "\",\"fps\":50,\"q\":1}" << ca;
    QTest::newRow("json streamSid") << "{\"streamSid\":\"" + mz + "\",\"fps\":50,\"q\":1}" << mz;
    QTest::newRow("call_id") << "fps=50 q=1 drops=0 call_id=abc-17" << "abc-17";
    QTest::newRow("session") << "session: 42 fps: 50 q: 1" << "42";
    QTest::newRow("[tag]") << "2026-11-27 12:00:01 INFO [call-7] [TX] fps=50 q=1 drops=0" << "call-7";
    QTest::newRow("journald pid is no id") << "Nov 27 12:00:01 host bot[1234]: [TX] fps=50 q=1 drops=0" << "";
    QTest::newRow("thread is no id") << "[MainThread] [TX] fps=50 q=1 drops=0" << "";
    QTest::newRow("level is no id") << "[INFO] [TX] fps=50 q=1 drops=0" << "";
    QTest::newRow("gunicorn prefix is no id") << "[2026-11-27 14:30:01 +0000] [4121] [INFO] tx fps=50 q=1 drops=0" << "";
    QTest::newRow("none") << "[TX] fps=50 q=1 drops=0" << "";
}

void TestDoctor::streamIds()
{
    QFETCH(QString, line);
    QFETCH(QString, stream);
    const auto m = parseMetricLine(line.toUtf8(), 1);
    QVERIFY2(m.has_value(), qPrintable(line));
    QCOMPARE(m->stream, stream);
}

void TestDoctor::badValues()
{
    for (const char *bad : {"[TX] fps=1e999 q=1 drops=0", "[TX] fps=NaN q=1 drops=0", "{\"fps\":\"nan\",\"q\":1}",
                            "[TX] fps=50 q=inf drops=0", "fps=Infinity q=2"}) {
        const ParsedLine p = parseLine(QByteArrayView(bad), 3);
        QVERIFY2(p.kind == LineKind::BadValue, bad);
        QVERIFY(!p.badField.isEmpty());
    }
    // An exponent is a number: 5e1 is 50, not 5 with a unit.
    const auto m = parseMetricLine("fps=5e1 q=1 drops=0", 1);
    QVERIFY(m);
    QCOMPARE(m->fps, 50.0);
    // Reported, never read as a figure.
    QString text;
    for (int i = 0; i < 10; ++i)
        text += QStringLiteral("[TX] fps=50 q=2 drops=0\n");
    text += QStringLiteral("[TX] fps=1e999 q=2 drops=0\n");
    const Report r = LogDoctor::analyzeText(text);
    QCOMPARE(r.metricLines, 10);
    QCOMPARE(r.badValueLines, 1);
    QCOMPARE(r.firstBadValueLine, 11);
    QVERIFY2(r.warning.contains(QStringLiteral("fps=1e999")), qPrintable(r.warning));
    QCOMPARE(r.exitCode(), 0);
    const Report only = LogDoctor::analyzeText(QStringLiteral("fps=NaN q=1\n"));
    QCOMPARE(only.exitCode(), 2);
    QVERIFY(only.toText().contains(QStringLiteral("not a number")));
}

void TestDoctor::interleavedWithoutIds()
{
    // Two calls in one file without ids: one healthy, one at 25 fps.
    QString text;
    for (int i = 0; i < 16; ++i) {
        text += QStringLiteral("[TX] fps=%1 q=%2 drops=0\n").arg(49 + i % 3).arg(3 + i % 4);
        text += QStringLiteral("[TX] fps=%1 q=%2 drops=0\n").arg(24 + i % 3).arg(i % 2);
    }
    const Report r = LogDoctor::analyzeText(text);
    QVERIFY2(find(r, Kind::Interleaved), qPrintable(r.toText()));
    QCOMPARE(r.diagnoses.first().kind, Kind::FrameSize);
    QCOMPARE(r.diagnoses.first().stream, QStringLiteral("#2"));
}

void TestDoctor::timestampsNormalise()
{
    // A logger whose lines cover 0.9-1.1 s and count what they cover: 45/0.9, 55/1.1 = 50.
    QString text;
    double t = 0;
    for (int i = 0; i < 20; ++i) {
        const double dt = i % 2 ? 1.1 : 0.9;
        t += dt;
        const int sec = int(t);
        const int ms = int((t - sec) * 1000 + 0.5);
        text += QStringLiteral("2026-11-27T12:00:%1.%2Z tx fps=%3 q=4 drops=0\n")
                    .arg(sec, 2, 10, QLatin1Char('0'))
                    .arg(ms, 3, 10, QLatin1Char('0'))
                    .arg(qRound(50 * dt));
    }
    const Report r = LogDoctor::analyzeText(text);
    QCOMPARE(r.diagnoses.first().kind, Kind::Healthy);
    QCOMPARE(r.diagnoses.first().severity, Severity::Ok);
}

void TestDoctor::detectorStall()
{
    Limits lim;
    auto s = series({50, 50, 50, 50, 2, 0, 1, 50, 50, 50}, {3, 4, 3, 5, 60, 120, 120, 118, 115, 110}, {0, 0, 0, 0, 0, 40, 50, 0, 0, 0});
    s[5].sq = 300;
    s[3].sq = 2;
    StreamContext c(s, lim);
    detectStalls(c);
    QCOMPARE(c.out.size(), 1);
    QCOMPARE(c.out.first().kind, Kind::SenderStalled);
    QCOMPARE(c.out.first().seconds, 3);
    // sq= piled up: a slow peer ranks first.
    QVERIFY(c.out.first().candidates.first().cause.contains(QStringLiteral("slow peer")));
    const std::vector<MetricLine> quietData = series(repeat(50, 10), repeat(3, 10));
    StreamContext quiet(quietData, lim);
    detectStalls(quiet);
    QVERIFY(quiet.out.isEmpty());
}

void TestDoctor::detectorCatchUp()
{
    Limits lim;
    const std::vector<MetricLine> cData = series({50, 50, 50, 10, 90, 50, 50, 50}, {2, 2, 2, 42, 2, 2, 2, 2});
    StreamContext c(cData, lim);
    detectCatchUp(c);
    QCOMPARE(c.out.size(), 1);
    QCOMPARE(c.out.first().kind, Kind::CatchUpBurst);
    // A stall followed by a plain 50 (re-anchored) is no catch-up.
    const std::vector<MetricLine> reData = series({50, 50, 50, 10, 50, 50, 50, 50}, {2, 2, 2, 42, 40, 40, 40, 40});
    StreamContext re(reData, lim);
    detectCatchUp(re);
    QVERIFY(re.out.isEmpty());
}

void TestDoctor::detectorDrift()
{
    Limits lim;
    QList<double> q;
    for (int i = 0; i < 20; ++i)
        q << 5 + i;
    const std::vector<MetricLine> cData = series(repeat(49, 20), q);
    StreamContext c(cData, lim);
    detectDrift(c);
    QCOMPARE(c.out.size(), 1);
    QVERIFY(c.out.first().title.contains(QStringLiteral("slower")));
    // ±1 fps noise around 50 with audio queued: neither drift nor strict 49/51 alternation.
    QList<double> wobble{50, 51, 51, 49, 50, 50, 49, 51, 50, 49, 49, 51, 50, 51, 50, 49, 50, 50, 51, 49};
    const std::vector<MetricLine> nData = series(wobble, repeat(4, 20));
    StreamContext n(nData, lim);
    detectDrift(n);
    QVERIFY2(n.out.isEmpty(), n.out.isEmpty() ? "" : qPrintable(n.out.first().title));
}

void TestDoctor::detectorBacklog()
{
    Limits lim;
    QList<double> q, drops;
    for (int i = 0; i < 12; ++i) {
        q << std::min(120, 10 + i * 15);
        drops << (i >= 8 ? 15 : 0);
    }
    const std::vector<MetricLine> cData = series(repeat(50, 12), q, drops);
    StreamContext c(cData, lim);
    detectBacklog(c);
    QCOMPARE(c.out.size(), 1);
    QCOMPARE(c.out.first().kind, Kind::ProducerTooFast);
    QCOMPARE(c.out.first().severity, Severity::Problem);
}

void TestDoctor::detectorRate()
{
    Limits lim;
    const std::vector<MetricLine> bigData = series({25, 26, 24, 25, 25, 26, 25, 24}, {0, 1, 3, 0, 2, 1, 0, 3});
    StreamContext big(bigData, lim);
    detectRate(big);
    QCOMPARE(big.out.size(), 1);
    QCOMPARE(big.out.first().kind, Kind::FrameSize);
    // Irregular and low: a slow producer, and several seconds well off 50 are a problem.
    const std::vector<MetricLine> slowData = series({50, 31, 42, 28, 39, 35, 44, 30, 50}, repeat(0, 9));
    StreamContext slow(slowData, lim);
    detectRate(slow);
    QCOMPARE(slow.out.size(), 1);
    QCOMPARE(slow.out.first().kind, Kind::ProducerStarved);
    QCOMPARE(slow.out.first().severity, Severity::Problem);
}

void TestDoctor::detectorDrops()
{
    Limits lim;
    const std::vector<MetricLine> cData = series(repeat(50, 8), repeat(3, 8), {0, 0, 2, 0, 0, 0, 0, 0});
    StreamContext c(cData, lim);
    detectDrops(c);
    QCOMPARE(c.out.size(), 1);
    QCOMPARE(c.out.first().severity, Severity::Info);
}

void TestDoctor::detectorRateOff()
{
    Limits lim;
    // 38-41 fps with a queue around 10-14, no drops: no specific pattern, still a problem.
    const std::vector<MetricLine> cData = series({50, 50, 38, 41, 39, 40, 50, 50}, {3, 3, 11, 12, 14, 13, 4, 3});
    StreamContext c(cData, lim);
    detectRateOff(c);
    QCOMPARE(c.out.size(), 1);
    QCOMPARE(c.out.first().kind, Kind::RateOff);
    QCOMPARE(c.out.first().severity, Severity::Problem);
    // Through the whole analysis it is at least a problem too.
    const StreamResult r = analyzeStream(cData, lim);
    QVERIFY(!r.diagnoses.isEmpty());
    Severity worst = Severity::Ok;
    for (const Diagnosis &d : r.diagnoses)
        worst = std::max(worst, d.severity);
    QCOMPARE(worst, Severity::Problem);
}

void TestDoctor::wordingTable()
{
    // Every row has a title; every finding row says a cause and a fix.
    for (int i = int(Say::Healthy); i <= int(Say::Interleaved); ++i) {
        const Words &w = words(Say(i));
        QCOMPARE(int(w.say), i);
        QVERIFY(qstrlen(w.title) > 0);
        if (w.kind != Kind::Healthy && w.kind != Kind::Idle && w.kind != Kind::TooLittleData)
            QVERIFY2(qstrlen(w.cause) > 0 && qstrlen(w.fix) > 0, w.title);
    }
    for (int c = int(Cause::BlockedLoop); c <= int(Cause::Unknown); ++c)
        QVERIFY(!causeText(Cause(c)).isEmpty());
}

void TestDoctor::deterministicAndJsonEvidence()
{
    QFile f(dataPath(QStringLiteral("misread-two-calls.log")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray data = f.readAll();
    const QStringList lines = QString::fromUtf8(data).split(QLatin1Char('\n'));
    QByteArray first;
    for (int chunk : {1, 7, 4096, 1 << 20}) {
        LogDoctor doc;
        for (qsizetype i = 0; i < data.size(); i += chunk)
            doc.addData(QByteArrayView(data).sliced(i, std::min<qsizetype>(chunk, data.size() - i)));
        const Report r = doc.finish();
        const QByteArray out = r.toText().toUtf8() + QJsonDocument(r.toJson()).toJson();
        if (first.isEmpty())
            first = out;
        QCOMPARE(out, first);
    }
    const QJsonObject json = LogDoctor::analyzeText(QString::fromUtf8(data)).toJson();
    const QJsonArray diags = json.value(QStringLiteral("diagnoses")).toArray();
    QVERIFY(!diags.isEmpty());
    for (const QJsonValue &d : diags) {
        const QJsonArray ev = d.toObject().value(QStringLiteral("evidence")).toArray();
        QVERIFY(!ev.isEmpty());
        for (const QJsonValue &e : ev) {
            const int line = e.toObject().value(QStringLiteral("line")).toInt();
            QVERIFY(line >= 1 && line <= lines.size());
            QCOMPARE(e.toObject().value(QStringLiteral("text")).toString(), lines.at(line - 1).trimmed());
        }
    }
    QCOMPARE(json.value(QStringLiteral("streams")).toArray().size(), 2);
}

void TestDoctor::gzipCorruptAndTruncated()
{
    QFile f(dataPath(QStringLiteral("shape-gzip.log.gz")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray gz = f.readAll();
    // Truncated: what was there is diagnosed, with a note.
    LogDoctor cut;
    cut.addData(gz.left(gz.size() * 2 / 3));
    const Report r = cut.finish();
    QVERIFY(r.inputOk);
    QVERIFY(r.metricLines > 0);
    QVERIFY2(r.warning.contains(QStringLiteral("gzip stream ends early")), qPrintable(r.warning));
    // Corrupt: a clear error.
    QByteArray bad = gz;
    for (qsizetype i = 20; i < 60 && i < bad.size(); ++i)
        bad[i] = char(0xff - bad[i]);
    LogDoctor broken;
    broken.addData(bad);
    const Report b = broken.finish();
    QVERIFY(!b.inputOk);
    QVERIFY2(b.error.contains(QStringLiteral("gzip")), qPrintable(b.error));
    QCOMPARE(b.exitCode(), 2);
    // Two members back to back (cat a.gz b.gz).
    LogDoctor twice;
    twice.addData(gz + gz);
    QCOMPARE(twice.finish().metricLines, 40);
}

void TestDoctor::cancelAndProgress()
{
    QByteArray data;
    for (int i = 0; i < 60000; ++i)
        data += "[TX] fps=50 q=3 drops=0\n";
    QBuffer buf(&data);
    QVERIFY(buf.open(QIODevice::ReadOnly));
    std::atomic<bool> cancel{false};
    int calls = 0;
    const Report r = LogDoctor::analyzeDevice(&buf, Limits(), [&](qint64) {
        if (++calls == 2)
            cancel = true;
    }, &cancel, 256 * 1024);
    QVERIFY(r.cancelled);
    QCOMPARE(calls, 2);
    QVERIFY(r.bytesRead < data.size());
    QVERIFY(r.warning.contains(QStringLiteral("cancelled")));
}

void TestDoctor::corpus()
{
    // tests/data/doctor/EXPECTED.txt: every log with the cause it must name first (engine
    // recordings, their noisy production-style variants, modelled bots, hand-written shapes).
    QFile manifest(dataPath(QStringLiteral("EXPECTED.txt")));
    QVERIFY(manifest.open(QIODevice::ReadOnly));
    int total = 0, right = 0;
    QStringList wrong;
    for (const QByteArray &raw : manifest.readAll().split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QList<QByteArray> parts = line.simplified().split(' ');
        QCOMPARE(parts.size(), 2);
        const Report r = LogDoctor::analyzeFile(dataPath(QString::fromUtf8(parts[0])));
        QVERIFY2(r.inputOk, qPrintable(r.error));
        const QString got = kindName(r.diagnoses.first().kind);
        ++total;
        if (got == QString::fromUtf8(parts[1]))
            ++right;
        else
            wrong << QString::fromUtf8(parts[0]) + QStringLiteral(": ") + got;
        // A healthy log is never a problem; a broken one always at least a warning.
        if (parts[1] == "healthy")
            QVERIFY2(r.worst() < Severity::Problem, parts[0].constData());
        else
            QVERIFY2(r.exitCode() == 1, parts[0].constData());
    }
    QVERIFY2(total >= 40, qPrintable(QString::number(total)));
    QVERIFY2(right * 100 >= total * 95, qPrintable(wrong.join(QLatin1Char('\n'))));
}

void TestDoctor::followerVerdicts()
{
    // The verdict sequence depends on the lines only, never on the chunking.
    const QByteArray data = liveLog();
    for (int chunk : {1, 5, 4096}) {
        Follower f;
        QStringList got;
        for (qsizetype i = 0; i < data.size(); i += chunk) {
            f.addData(QByteArrayView(data).sliced(i, std::min<qsizetype>(chunk, data.size() - i)));
            for (const Verdict &v : f.takeChanges())
                got << v.toLine();
        }
        QCOMPARE(got, kLiveVerdicts);
        QCOMPARE(f.report().metricLines, 10);
    }
}

void TestDoctor::followPipe()
{
    const QString bin = QStringLiteral(PACELAB_BINARY);
    if (!QFile::exists(bin))
        QSKIP("pacelab binary not built");
    QProcess p;
    p.start(bin, {QStringLiteral("doctor"), QStringLiteral("--follow"), QStringLiteral("-")});
    QVERIFY(p.waitForStarted(30000));
    p.write(liveLog());
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    const QByteArray out = p.readAllStandardOutput();
    QCOMPARE(verdictLines(out), kLiveVerdicts);
    QVERIFY(out.contains("PROBLEM  Sender stalled"));
}

void TestDoctor::followFile()
{
    // Lines appended while the command follows the file: the verdicts follow them, in order.
    const QString bin = QStringLiteral(PACELAB_BINARY);
    if (!QFile::exists(bin))
        QSKIP("pacelab binary not built");
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("live.log"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QProcess p;
    p.start(bin, {QStringLiteral("doctor"), QStringLiteral("--follow"), path});
    QVERIFY(p.waitForStarted(30000));
    QByteArray out;
    auto waitFor = [&](int verdicts) {
        // Bounded by the count of verdict lines, not by time: a loaded machine only takes longer.
        for (int i = 0; i < 600 && verdictLines(out).size() < verdicts; ++i) {
            p.waitForReadyRead(100);
            out += p.readAllStandardOutput();
        }
        return verdictLines(out).size() >= verdicts;
    };
    const QByteArray data = liveLog();
    const qsizetype healthyEnd = data.indexOf("[TX] fps=1");
    f.write(data.left(healthyEnd));
    f.flush();
    QVERIFY(waitFor(2));
    QCOMPARE(verdictLines(out), kLiveVerdicts.mid(0, 2));
    f.write(data.mid(healthyEnd));
    f.flush();
    QVERIFY(waitFor(3));
    QCOMPARE(verdictLines(out), kLiveVerdicts);
    p.kill();
    p.waitForFinished(10000);
}

QTEST_GUILESS_MAIN(TestDoctor)
#include "tst_doctor.moc"
