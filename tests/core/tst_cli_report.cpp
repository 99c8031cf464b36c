// `pacelab report merge`: bad usage and unreadable or unmergeable files exit 2 with a message
// naming the file or option; merged shards exit 0 when every step holds and 1 when one broke,
// writing the JSON, JUnit and HTML reports. The load runs are synthesized (core/load types).
#include "load/LoadReport.h"
#include "load/Shard.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

using namespace pacelab;

namespace {

LoadRun shardRun(int index, int count, double bufferedOfCall0)
{
    LoadRun r;
    r.botUrl = QStringLiteral("wss://bot.example/media");
    r.startedUtc = QStringLiteral("2026-11-29T20:00:00Z");
    r.host = QStringLiteral("pod-%1").arg(index);
    const ShardSpec spec{index, count};
    r.shard = spec.label();
    for (int target : {5, 10}) {
        LoadStep s;
        s.targetCalls = target;
        s.callsUp = target;
        s.durationSec = 10;
        for (int i = 0; i < target; ++i) {
            CallResult c;
            c.index = i;
            c.callSid = callSidFor(spec, target, i);
            c.streamSid = streamSidFor(spec, target, i);
            c.shard = spec.label();
            c.connected = true;
            c.connectMs = 5;
            c.frames = 500;
            c.fpsP1 = c.fpsP50 = 50;
            c.jitterMs = 0.2;
            c.deltaP99Ms = 20.3;
            c.maxBufferedSec = (target == 10 && i == 0) ? bufferedOfCall0 : 0.1;
            s.calls.append(c);
        }
        r.steps.append(s);
    }
    return r;
}

} // namespace

class TestCliReport final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    void write(const QString &name, const QByteArray &bytes)
    {
        QFile f(path(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    }

    struct Result
    {
        int exitCode = -1;
        QString out, err;
    };

    static Result run(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PACELAB_BINARY), QStringList{QStringLiteral("report")} + args);
        Result r;
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished();
            return r;
        }
        if (p.exitStatus() != QProcess::NormalExit)
            return r; // a crash: exit code stays -1
        r.exitCode = p.exitCode();
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(QStringLiteral(PACELAB_BINARY)), PACELAB_BINARY);
        auto json = [](const LoadRun &r) { return QJsonDocument(r.toJson()).toJson(); };
        write(QStringLiteral("s0.json"), json(shardRun(0, 2, 0.1)));
        write(QStringLiteral("s1.json"), json(shardRun(1, 2, 0.1)));
        write(QStringLiteral("s1-bad.json"), json(shardRun(1, 2, 0.8))); // call 0 of step 10 buffers 0.8 s
        write(QStringLiteral("third.json"), json(shardRun(2, 3, 0.1)));
        LoadRun other = shardRun(1, 2, 0.1);
        other.botUrl = QStringLiteral("wss://other.example/media");
        write(QStringLiteral("other-bot.json"), json(other));
        LoadRun noSteps = shardRun(0, 1, 0.1);
        noSteps.steps.clear();
        write(QStringLiteral("no-steps.json"), json(noSteps));
        QByteArray badField = json(shardRun(0, 2, 0.1));
        badField.replace("\"fpsP1\": 50", "\"fpsP1\": \"fast\"");
        write(QStringLiteral("bad-field.json"), badField);
        write(QStringLiteral("empty.json"), {});
        write(QStringLiteral("prose.json"), "Dear diary,\nno load here.\n");
        write(QStringLiteral("other.json"), "{\"results\": []}");
        write(QStringLiteral("notadir"), "a file where a directory is expected\n");
        QVERIFY(QDir(m_dir.path()).mkdir(QStringLiteral("adir")));
    }

    void badUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString unwritable = path(QStringLiteral("notadir/out"));
        const QString s0 = path(QStringLiteral("s0.json")), s1 = path(QStringLiteral("s1.json"));
        auto row = [](const char *name, const QStringList &args, const QString &message) { QTest::newRow(name) << args << message; };
        row("no action", {}, QStringLiteral("missing action (merge)"));
        row("unknown action", {QStringLiteral("frobnicate")}, QStringLiteral("unknown action 'frobnicate'"));
        row("merge without files", {QStringLiteral("merge")}, QStringLiteral("merge needs at least one FILE.json"));
        row("unknown option", {QStringLiteral("merge"), s0, QStringLiteral("--frobnicate")}, QStringLiteral("frobnicate"));
        row("json unwritable", {QStringLiteral("merge"), s0, QStringLiteral("--json"), unwritable}, QStringLiteral("--json"));
        row("junit unwritable", {QStringLiteral("merge"), s0, QStringLiteral("--junit"), unwritable}, QStringLiteral("--junit"));
        row("html unwritable", {QStringLiteral("merge"), s0, QStringLiteral("--html"), path(QStringLiteral("adir"))}, QStringLiteral("--html"));
        row("missing file", {QStringLiteral("merge"), s0, path(QStringLiteral("none.json"))}, QStringLiteral("none.json"));
        row("directory", {QStringLiteral("merge"), path(QStringLiteral("adir"))}, QStringLiteral("adir"));
        row("empty file", {QStringLiteral("merge"), path(QStringLiteral("empty.json"))}, QStringLiteral("empty.json': empty file"));
        row("prose", {QStringLiteral("merge"), path(QStringLiteral("prose.json"))}, QStringLiteral("prose.json': not JSON"));
        row("other JSON", {QStringLiteral("merge"), path(QStringLiteral("other.json"))}, QStringLiteral("other.json': format: not a PaceLab load report"));
        row("bad field", {QStringLiteral("merge"), path(QStringLiteral("bad-field.json"))},
            QStringLiteral("bad-field.json': steps[0].calls[0].fpsP1: expected a number"));
        row("no steps", {QStringLiteral("merge"), path(QStringLiteral("no-steps.json"))}, QStringLiteral("nothing to judge"));
        row("same shard twice", {QStringLiteral("merge"), s0, s1, s0}, QStringLiteral("is in both %1 and %1").arg(s0));
        row("other bot", {QStringLiteral("merge"), s0, path(QStringLiteral("other-bot.json"))}, QStringLiteral("only runs against the same bot"));
        row("shard counts differ", {QStringLiteral("merge"), s0, path(QStringLiteral("third.json"))}, QStringLiteral("is shard 2/3 but"));
    }
    void badUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Result r = run(args);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(r.err.startsWith(QStringLiteral("pacelab report: ")), qPrintable(r.err));
    }

    void mergeHolds()
    {
        const Result r = run({QStringLiteral("merge"), path(QStringLiteral("s0.json")), path(QStringLiteral("s1.json")),
                              QStringLiteral("--json"), path(QStringLiteral("m.json")), QStringLiteral("--junit"),
                              path(QStringLiteral("m.xml")), QStringLiteral("--html"), path(QStringLiteral("m.html"))});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Knee: this bot holds 20 concurrent calls (the largest step tried; no step broke)")), qPrintable(r.out));
        LoadRun merged;
        QString error;
        QVERIFY2(readLoadRunFile(path(QStringLiteral("m.json")), &merged, &error), qPrintable(error));
        QCOMPARE(merged.steps.size(), 2);
        QCOMPARE(merged.steps[1].targetCalls, 20);
        QCOMPARE(merged.steps[1].calls.size(), 20);
        QCOMPARE(merged.shard, QStringLiteral("0/2,1/2"));
        QVERIFY(merged.steps[1].calls[0].pass); // judged again by the command
        QFile xml(path(QStringLiteral("m.xml")));
        QVERIFY(xml.open(QIODevice::ReadOnly));
        QXmlStreamReader x(&xml);
        while (!x.atEnd())
            x.readNext();
        QVERIFY(!x.hasError());
        QVERIFY(QFile::exists(path(QStringLiteral("m.html"))));
    }

    void mergeBreaks()
    {
        const Result r = run({QStringLiteral("merge"), path(QStringLiteral("s0.json")), path(QStringLiteral("s1-bad.json"))});
        QVERIFY2(r.exitCode == 1, qPrintable(r.err + r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Knee: this bot holds 10 concurrent calls; at 20, 5 % of calls have > 0.5 s buffered")),
                 qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("buffered 0.8 s > 0.5 s")));
    }

    void help()
    {
        const Result r = run({QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("merge")));
    }
};

QTEST_GUILESS_MAIN(TestCliReport)
#include "tst_cli_report.moc"
