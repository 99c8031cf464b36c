// Checklist result model and reports: JUnit parsed back with QXmlStreamReader, JSON round trip,
// self-contained HTML with charts, writability checks, --break parsing, runner bookkeeping.
#include "check/CheckTypes.h"
#include "check/Reports.h"
#include "check/ScenarioRunner.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

using namespace pacelab::check;

namespace {

ScenarioResult sample(const QString &id, Verdict v, const QString &reason)
{
    ScenarioResult r;
    r.id = id;
    r.title = QStringLiteral("title of %1 <&>").arg(id);
    r.verdict = v;
    r.reason = reason;
    r.details = QStringLiteral("line one\nline \"two\" & <three>");
    r.durationSec = 4.25;
    r.criteria = {Criterion{QStringLiteral("fps sent"), QStringLiteral("49..51 over 8 s"), QStringLiteral("50 ± 1"), v != Verdict::Fail, false},
                  Criterion{QStringLiteral("rtt"), QStringLiteral("1 ms"), QString(), true, true}};
    r.figures = QJsonObject{{QStringLiteral("framesSent"), 400}, {QStringLiteral("nested"), QJsonObject{{QStringLiteral("x"), 1.5}}}};
    r.limits = QJsonObject{{QStringLiteral("fpsMin"), 49}, {QStringLiteral("fpsMax"), 51}, {QStringLiteral("queueLimit"), 60},
                           {QStringLiteral("bufferedMaxSec"), 0.5}};
    for (int s = 0; s < 8; ++s) {
        TxSecond t;
        t.second = s;
        t.wallTimeMs = 1700000000000 + s * 1000;
        t.fps = v == Verdict::Fail && s == 3 ? 44 : 50;
        t.queueDepth = 5 + s;
        t.queueMax = 8 + s;
        t.drops = s == 4 ? 3 : 0;
        t.latenessP99Ms = 0.2 * s;
        t.latenessMaxMs = 0.5 * s;
        r.tx << t;
        RxSecond x;
        x.second = s;
        x.fps = t.fps;
        x.bufferedSec = 0.04 + 0.01 * s;
        x.underruns = s == 5 ? 1 : 0;
        r.rx << x;
    }
    return r;
}

QList<ScenarioResult> mixed()
{
    return {sample(QStringLiteral("S2"), Verdict::Pass, QStringLiteral("fps 50..50")),
            sample(QStringLiteral("S3"), Verdict::Fail, QStringLiteral("oldest frames dropped: 0 of 600 pushed dropped (limit the oldest go first)")),
            sample(QStringLiteral("E2"), Verdict::Error, QStringLiteral("text-to-speech unavailable")),
            sample(QStringLiteral("B5"), Verdict::Skipped, QStringLiteral("the bot sent no mark"))};
}

} // namespace

class TestCheckReports final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void junitParsesBack()
    {
        const QList<ScenarioResult> results = mixed();
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("r.xml"));
        QString error;
        QVERIFY2(writeJUnit(results, path, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&f);
        int testcases = 0, failures = 0, errors = 0, skipped = 0;
        QString suiteTests, suiteFailures, failureMessage, failureBody;
        QStringList names;
        while (!xml.atEnd()) {
            xml.readNext();
            if (!xml.isStartElement())
                continue;
            if (xml.name() == QLatin1String("testsuite")) {
                suiteTests = xml.attributes().value(QLatin1String("tests")).toString();
                suiteFailures = xml.attributes().value(QLatin1String("failures")).toString();
            } else if (xml.name() == QLatin1String("testcase")) {
                ++testcases;
                names << xml.attributes().value(QLatin1String("name")).toString();
                QVERIFY(!xml.attributes().value(QLatin1String("time")).isEmpty());
            } else if (xml.name() == QLatin1String("failure")) {
                ++failures;
                failureMessage = xml.attributes().value(QLatin1String("message")).toString();
                failureBody = xml.readElementText();
            } else if (xml.name() == QLatin1String("error")) {
                ++errors;
            } else if (xml.name() == QLatin1String("skipped")) {
                ++skipped;
            }
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QCOMPARE(testcases, 4);
        QCOMPARE(failures, 1);
        QCOMPARE(errors, 1);
        QCOMPARE(skipped, 1);
        QCOMPARE(suiteTests, QStringLiteral("4"));
        QCOMPARE(suiteFailures, QStringLiteral("1"));
        QCOMPARE(names.first(), QStringLiteral("S2 title of S2 <&>"));
        // The failure carries the numbers.
        QVERIFY(failureMessage.contains(QLatin1String("0 of 600")));
        QVERIFY(failureBody.contains(QLatin1String("49..51 over 8 s")));
        QVERIFY(failureBody.contains(QLatin1String("line \"two\" & <three>")));
    }

    void jsonRoundTrip()
    {
        const QList<ScenarioResult> results = mixed();
        CheckConfig cfg;
        cfg.broken.fixedSleepPacer = true;
        const QJsonObject doc = reportJson(results, ReportMeta::from(cfg, QDateTime::currentDateTime(), 12.5));
        QCOMPARE(doc.value(QLatin1String("passed")).toBool(), false);
        QCOMPARE(doc.value(QLatin1String("totalSec")).toDouble(), 12.5);
        QCOMPARE(doc.value(QLatin1String("counts")).toObject().value(QLatin1String("failed")).toInt(), 1);
        QCOMPARE(doc.value(QLatin1String("config")).toObject().value(QLatin1String("broken")).toArray().first().toString(),
                 QStringLiteral("fixed-sleep"));
        QCOMPARE(doc.value(QLatin1String("config")).toObject().value(QLatin1String("thresholds")).toObject()
                     .value(QLatin1String("queueCapacity")).toInt(), 120);
        const QJsonArray arr = doc.value(QLatin1String("results")).toArray();
        QCOMPARE(arr.size(), 4);
        for (int i = 0; i < 4; ++i) {
            const ScenarioResult back = ScenarioResult::fromJson(arr[i].toObject());
            const ScenarioResult &orig = results[i];
            QCOMPARE(back.id, orig.id);
            QCOMPARE(back.verdict, orig.verdict);
            QCOMPARE(back.reason, orig.reason);
            QCOMPARE(back.details, orig.details);
            QCOMPARE(back.figures, orig.figures);
            QCOMPARE(back.limits, orig.limits);
            QCOMPARE(back.criteria.size(), orig.criteria.size());
            QCOMPARE(back.criteria[1].informational, true);
            QCOMPARE(back.tx.size(), orig.tx.size());
            QCOMPARE(back.tx[3].fps, orig.tx[3].fps);
            QCOMPARE(back.tx[7].wallTimeMs, orig.tx[7].wallTimeMs);
            QCOMPARE(back.rx[5].underruns, 1);
            QCOMPARE(back.rx[2].bufferedSec, orig.rx[2].bufferedSec);
        }
        // All passing: passed = true.
        const QJsonObject ok = reportJson({sample(QStringLiteral("S1"), Verdict::Pass, QStringLiteral("ok"))});
        QCOMPARE(ok.value(QLatin1String("passed")).toBool(), true);
    }

    void htmlIsSelfContainedWithCharts()
    {
        const QByteArray html = reportHtml(mixed());
        QVERIFY(html.startsWith("<!DOCTYPE html>"));
        QVERIFY(html.contains("<svg class=\"chart\""));
        QVERIFY(html.contains("Frames per second"));
        QVERIFY(html.contains("Queue depth"));
        QVERIFY(html.contains("Drops per second"));
        QVERIFY(html.contains("Send lateness"));
        QVERIFY(html.contains("Audio buffered at the peer"));
        QVERIFY(html.contains("Underruns at the peer"));
        // Nothing fetched from elsewhere: no scripts, stylesheets or images by URL.
        QVERIFY(!html.contains("<script"));
        QVERIFY(!html.contains("<link"));
        QVERIFY(!html.contains("src=\"http"));
        // Escaped text, not markup.
        QVERIFY(html.contains("title of S2 &lt;&amp;&gt;"));
        QVERIFY(!html.contains("title of S2 <&>"));
        QVERIFY(html.contains("NOT READY"));
        // Each SVG is well-formed XML.
        qsizetype pos = 0;
        int charts = 0;
        while ((pos = html.indexOf("<svg", pos)) >= 0) {
            const qsizetype end = html.indexOf("</svg>", pos);
            QVERIFY(end > pos);
            QXmlStreamReader xml(html.mid(pos, end + 6 - pos));
            while (!xml.atEnd())
                xml.readNext();
            QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
            pos = end;
            ++charts;
        }
        QVERIFY(charts >= 3 * 5);
    }

    void emptyResults()
    {
        QVERIFY(!junitXml({}).isEmpty());
        QVERIFY(reportHtml({}).contains("NOT READY"));
        QCOMPARE(reportJson({}).value(QLatin1String("passed")).toBool(), false);
    }

    void writeErrors()
    {
        QTemporaryDir dir;
        QString error;
        QVERIFY(!checkWritable(QStringLiteral("/nonexistent-dir-pacelab/r.xml"), &error));
        QVERIFY2(error.contains(QLatin1String("does not exist")), qPrintable(error));
        QVERIFY(!checkWritable(dir.path(), &error));
        QVERIFY2(error.contains(QLatin1String("is a directory")), qPrintable(error));
        QVERIFY(!checkWritable(QString(), &error));
        QVERIFY(checkWritable(dir.filePath(QStringLiteral("ok.html")), &error));
        QVERIFY(!writeHtml(mixed(), QStringLiteral("/nonexistent-dir-pacelab/r.html"), &error));
        QVERIFY2(error.contains(QLatin1String("/nonexistent-dir-pacelab/r.html")), qPrintable(error));
    }

    void brokenTwinNames()
    {
        BrokenTwins b;
        QString error;
        QVERIFY(BrokenTwins::parse(QStringLiteral("fixed-sleep, 320-byte-frames,NEVER-CLEAR"), &b, &error));
        QVERIFY(b.fixedSleepPacer);
        QCOMPARE(b.frameBytes, 320);
        QVERIFY(b.botNeverClears);
        QCOMPARE(b.names(), (QStringList{QStringLiteral("fixed-sleep"), QStringLiteral("320-byte-frames"), QStringLiteral("never-clear")}));
        QVERIFY(!BrokenTwins::parse(QStringLiteral("fixed-sleep,bogus"), &b, &error));
        QVERIFY(error.contains(QLatin1String("'bogus'")));
        QVERIFY(!BrokenTwins::parse(QStringLiteral(","), &b, &error));
        QVERIFY(BrokenTwins::allNames().size() == 8);
    }

    void catalogAndApplicability()
    {
        const QList<ScenarioInfo> all = ScenarioRunner::available();
        QCOMPARE(all.size(), 14);
        QCOMPARE(ScenarioRunner::defaultIds(), (QStringList{"S1", "S2", "S3", "S4", "S5", "S6", "E1", "E2", "E3"}));
        QCOMPARE(ScenarioRunner::botIds(), (QStringList{"B1", "B2", "B3", "B4", "B5"}));
        double total = 0;
        for (const ScenarioInfo &i : all) {
            QVERIFY(!i.title.isEmpty());
            QVERIFY(!i.whatItChecks.isEmpty());
            QVERIFY(i.expectedDurationSec > 0);
            if (!i.botSet)
                total += i.expectedDurationSec;
        }
        QVERIFY2(total < 180, qPrintable(QString::number(total))); // the default checklist < 3 min
        CheckConfig cfg;
        QVERIFY(ScenarioRunner::checkApplicable({"S1", "B1"}, cfg).isEmpty());
        QVERIFY(ScenarioRunner::checkApplicable({"S9"}, cfg).contains(QLatin1String("unknown scenario 'S9'")));
        cfg.mode = TargetMode::Bot;
        QVERIFY(ScenarioRunner::checkApplicable({"S2"}, cfg).contains(QLatin1String("--bot")));
        cfg.mode = TargetMode::Target;
        QVERIFY(ScenarioRunner::checkApplicable({"B4"}, cfg).contains(QLatin1String("--target")));
    }

    void runnerReportsUnknownAndInapplicable()
    {
        ScenarioRunner runner;
        QSignalSpy started(&runner, &ScenarioRunner::scenarioStarted);
        QSignalSpy done(&runner, &ScenarioRunner::allFinished);
        CheckConfig cfg;
        cfg.mode = TargetMode::Bot;
        cfg.botUrl = QUrl(QStringLiteral("ws://127.0.0.1:9/"));
        runner.run({QStringLiteral("S9"), QStringLiteral("S2")}, cfg);
        QVERIFY(runner.isRunning());
        QVERIFY(done.wait(5000));
        const auto results = done.first().first().value<QList<ScenarioResult>>();
        QCOMPARE(results.size(), 2);
        QCOMPARE(results[0].verdict, Verdict::Error);
        QCOMPARE(results[1].verdict, Verdict::Skipped);
        QCOMPARE(started.size(), 2);
        QVERIFY(!runner.isRunning());
    }

    void runnerCancels()
    {
        ScenarioRunner runner;
        QSignalSpy done(&runner, &ScenarioRunner::allFinished);
        QSignalSpy progress(&runner, &ScenarioRunner::progress);
        runner.run({QStringLiteral("S2"), QStringLiteral("S3")}, CheckConfig());
        QTest::qWait(1500);
        runner.cancel();
        QVERIFY(done.wait(10000));
        const auto results = done.first().first().value<QList<ScenarioResult>>();
        QCOMPARE(results.size(), 2);
        QCOMPARE(results[0].verdict, Verdict::Error);
        QVERIFY(results[0].reason.contains(QLatin1String("cancelled")));
        QCOMPARE(results[1].verdict, Verdict::Skipped);
        QVERIFY(progress.size() >= 2);
    }
};

QTEST_GUILESS_MAIN(TestCheckReports)
#include "tst_check_reports.moc"
