// The log doctor tab, driven through its widgets: paste, click Diagnose (or load a file), and
// check what the result view, the status line and the plots show.
#include "DoctorTab.h"
#include "TimeSeriesPlot.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

using namespace pacelab;
using namespace pacelab::ui;
using doctor::Kind;

class TestDoctorTab final : public QObject
{
    Q_OBJECT
private:
    static void pasteAndClick(DoctorTab &tab, const QString &text)
    {
        tab.pasteBox()->setPlainText(text);
        QSignalSpy shown(&tab, &DoctorTab::reportShown);
        QTest::mouseClick(tab.diagnoseButton(), Qt::LeftButton);
        QCOMPARE(shown.count(), 1);
        QVERIFY(tab.hasReport());
    }
    static bool hasKind(const doctor::Report &r, Kind k)
    {
        for (const auto &d : r.diagnoses)
            if (d.kind == k)
                return true;
        return false;
    }
    // A producer running ahead of real time: the sender holds 50 fps, q climbs to the 120
    // bound, then drop-oldest throws frames away (with unrelated log lines in between).
    static QString producerTooFastLog()
    {
        QString s;
        for (int i = 1; i <= 30; ++i) {
            const int q = std::min(120, i * 5);
            const int drops = i > 24 ? (i - 24) * 5 : 0;
            s += QStringLiteral("2026-11-25T12:00:%1Z INFO [TX] fps=50 q=%2 drops=%3\n")
                     .arg(i, 2, 10, QLatin1Char('0'))
                     .arg(q)
                     .arg(drops);
            if (i % 7 == 0)
                s += QStringLiteral("2026-11-25T12:00:%1Z DEBUG tts chunk synthesized\n").arg(i, 2, 10, QLatin1Char('0'));
        }
        return s;
    }
    static QString grabIfAsked(DoctorTab &tab, const char *name)
    {
        // PACELAB_DOCTOR_SHOT_DIR=dir saves the tab as PNGs there (to look at the layout).
        const QString dir = qEnvironmentVariable("PACELAB_DOCTOR_SHOT_DIR");
        if (dir.isEmpty())
            return {};
        QTest::qWait(400); // the plots redraw at 10 Hz
        const QString path = dir + QLatin1Char('/') + QLatin1String(name) + QStringLiteral(".png");
        tab.grab().save(path);
        return path;
    }

private Q_SLOTS:
    void healthy();
    void producerTooFast();
    void garbage();
    void emptyPaste();
    void loadFile();
    void loadBinaryAndMissingFile();
    void cancelAndCloseWhileLoading();
    void followFile();
};

void TestDoctorTab::healthy()
{
    DoctorTab tab;
    tab.resize(1200, 760);
    tab.show();
    QString text;
    for (int i = 0; i < 20; ++i)
        text += QStringLiteral("[TX] fps=50 q=6 drops=0\n");
    pasteAndClick(tab, text);
    const doctor::Report &r = tab.lastReport();
    QVERIFY(r.inputOk);
    QCOMPARE(r.metricLines, 20);
    QVERIFY(!r.diagnoses.isEmpty());
    QCOMPARE(r.diagnoses.first().kind, Kind::Healthy);
    const QString shown = tab.resultView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("Healthy")), qPrintable(shown));
    QVERIFY2(!shown.contains(QStringLiteral("PROBLEM")), qPrintable(shown));
    // Every line plotted (x = line index), q and drops too.
    QCOMPARE(tab.fpsPlot()->seriesPoints(0).size(), 20);
    QCOMPARE(tab.fpsPlot()->seriesPoints(0).last().y(), 50.0);
    QCOMPARE(tab.queuePlot()->seriesPoints(0).size(), 20);
    QCOMPARE(tab.dropsPlot()->seriesPoints(0).size(), 20);
    grabIfAsked(tab, "doctor-healthy");
}

void TestDoctorTab::producerTooFast()
{
    DoctorTab tab;
    tab.resize(1200, 760);
    tab.show();
    pasteAndClick(tab, producerTooFastLog());
    const doctor::Report &r = tab.lastReport();
    QCOMPARE(r.metricLines, 30);
    QVERIFY(!r.diagnoses.isEmpty());
    QCOMPARE(r.diagnoses.first().kind, Kind::ProducerTooFast);
    QVERIFY(!hasKind(r, Kind::Healthy));
    const QString shown = tab.resultView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("Producer faster than real time")), qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("Likely cause:")) && shown.contains(QStringLiteral("Fix:")), qPrintable(shown));
    // The evidence cites the log lines as written.
    QVERIFY2(shown.contains(QStringLiteral("[TX] fps=50 q=120 drops=30")), qPrintable(shown));
    QVERIFY(tab.findChild<QLabel *>(QStringLiteral("doctorStatus"))->text().contains(QStringLiteral("Producer faster")));
    const QList<QPointF> q = tab.queuePlot()->seriesPoints(0);
    QCOMPARE(q.size(), 30);
    QCOMPARE(q.last().y(), 120.0);
    QCOMPARE(tab.dropsPlot()->seriesPoints(0).last().y(), 30.0);
    grabIfAsked(tab, "doctor-producer");

    // A second diagnosis replaces the first (plots cleared, not appended to).
    QString healthy;
    for (int i = 0; i < 20; ++i)
        healthy += QStringLiteral("[TX] fps=50 q=6 drops=0\n");
    pasteAndClick(tab, healthy);
    QCOMPARE(tab.lastReport().diagnoses.first().kind, Kind::Healthy);
    QCOMPARE(tab.queuePlot()->seriesPoints(0).size(), 20);
    QVERIFY(!tab.resultView()->toPlainText().contains(QStringLiteral("Producer faster")));
}

void TestDoctorTab::garbage()
{
    DoctorTab tab;
    tab.show();
    pasteAndClick(tab, QStringLiteral("hello world\nthis is not a metrics log\n12345 abc=def\n"));
    const doctor::Report &r = tab.lastReport();
    QVERIFY(!r.hasMetrics());
    const QString shown = tab.resultView()->toPlainText();
    QVERIFY2(shown.contains(QStringLiteral("no metric lines found in 3 line(s)")), qPrintable(shown));
    QVERIFY2(shown.contains(QStringLiteral("[TX] fps=50 q=6 drops=0")), qPrintable(shown)); // says what is expected
    QVERIFY(tab.findChild<QLabel *>(QStringLiteral("doctorStatus"))->text().contains(QStringLiteral("No metric lines")));
    QVERIFY(tab.fpsPlot()->seriesPoints(0).isEmpty());
    grabIfAsked(tab, "doctor-garbage");
}

void TestDoctorTab::emptyPaste()
{
    DoctorTab tab;
    tab.pasteBox()->setPlainText(QStringLiteral("   \n"));
    tab.diagnoseButton()->click();
    QVERIFY(!tab.hasReport());
    QVERIFY(tab.findChild<QLabel *>(QStringLiteral("doctorStatus"))->text().contains(QStringLiteral("Nothing to diagnose")));
}

void TestDoctorTab::loadFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("bot.log"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    // Several MB, so the file crosses many read chunks; the tail is the interesting part.
    const QByteArray filler = "2026-11-25T11:00:00Z DEBUG websocket keepalive ok, nothing to see here\n";
    for (int i = 0; i < 60000; ++i)
        f.write(filler);
    f.write(producerTooFastLog().toUtf8());
    f.close();

    DoctorTab tab;
    tab.pasteBox()->setPlainText(QStringLiteral("left alone"));
    QSignalSpy shown(&tab, &DoctorTab::reportShown);
    QVERIFY(tab.loadFile(path));
    QVERIFY(tab.isBusy());
    QVERIFY(!tab.diagnoseButton()->isEnabled());
    QVERIFY(!tab.loadFile(path)); // one file at a time
    QVERIFY(shown.wait(30000));
    QVERIFY(!tab.isBusy());
    QVERIFY(tab.diagnoseButton()->isEnabled());
    const doctor::Report &r = tab.lastReport();
    QCOMPARE(r.metricLines, 30);
    QCOMPARE(r.bytesRead, QFileInfo(path).size());
    QCOMPARE(r.diagnoses.first().kind, Kind::ProducerTooFast);
    QVERIFY(tab.resultView()->toPlainText().contains(QStringLiteral("bot.log")));
    QCOMPARE(tab.pasteBox()->toPlainText(), QStringLiteral("left alone"));
}

void TestDoctorTab::loadBinaryAndMissingFile()
{
    QTemporaryDir dir;
    const QString bin = dir.filePath(QStringLiteral("call.wav"));
    QFile f(bin);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray riff("RIFF\x24\x00\x00\x00WAVEfmt ", 16);
    riff += QByteArray(4096, '\0');
    f.write(riff);
    f.close();

    DoctorTab tab;
    QSignalSpy shown(&tab, &DoctorTab::reportShown);
    QVERIFY(tab.loadFile(bin));
    QVERIFY(shown.wait(30000));
    QVERIFY(!tab.lastReport().inputOk);
    QString text = tab.resultView()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("Unusable input")) && text.contains(QStringLiteral("WAV")), qPrintable(text));

    QVERIFY(tab.loadFile(dir.filePath(QStringLiteral("nope.log"))));
    QVERIFY(shown.wait(30000));
    text = tab.resultView()->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("no such file")), qPrintable(text));
    QVERIFY(tab.fpsPlot()->seriesPoints(0).isEmpty());
}

void TestDoctorTab::cancelAndCloseWhileLoading()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.log"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray block;
    for (int i = 0; i < 1000; ++i)
        block += "2026-11-25T12:00:00Z INFO [TX] fps=50 q=6 drops=0 and some more words here\n";
    for (int i = 0; i < 500; ++i) // ~40 MB
        f.write(block);
    f.close();
    const qint64 size = QFileInfo(path).size();

    {
        DoctorTab tab;
        QSignalSpy shown(&tab, &DoctorTab::reportShown);
        QVERIFY(tab.loadFile(path));
        tab.cancelLoad();
        QVERIFY(shown.wait(30000));
        const doctor::Report &r = tab.lastReport();
        QVERIFY(r.inputOk);
        // Either the cancel landed (the report says it is partial) or the read had already ended.
        if (r.bytesRead < size)
            QVERIFY2(r.warning.contains(QStringLiteral("cancelled")), qPrintable(r.warning));
        QVERIFY(tab.diagnoseButton()->isEnabled());
    }
    {
        // Closing the tab mid-read stops the worker and returns.
        DoctorTab tab;
        QVERIFY(tab.loadFile(path));
    }
}

void TestDoctorTab::followFile()
{
    // Lines appended to a followed file: the verdict changes and the report follow them. The
    // polls are called directly: the assertions are on what was read, not on timing.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("live.log"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    DoctorTab tab;
    QVERIFY(tab.followFile(path));
    QVERIFY(tab.isFollowing());
    for (int i = 0; i < 6; ++i)
        f.write("[TX] fps=50 q=3 drops=0\n");
    f.flush();
    tab.pollFollowed();
    QCOMPARE(tab.lastReport().metricLines, 6);
    QCOMPARE(tab.verdictChanges().last(), QStringLiteral("line 3: OK healthy - Healthy"));
    for (int i = 0; i < 4; ++i)
        f.write("[TX] fps=1 q=120 drops=50\n");
    f.flush();
    tab.pollFollowed();
    QCOMPARE(tab.lastReport().metricLines, 10);
    QVERIFY2(tab.verdictChanges().last().startsWith(QStringLiteral("line 7: PROBLEM sender-stalled")),
             qPrintable(tab.verdictChanges().join(QLatin1Char('\n'))));
    QVERIFY(tab.resultView()->toPlainText().contains(QStringLiteral("Sender stalled")));
    tab.stopFollowing();
    QVERIFY(!tab.isFollowing());
    QVERIFY(!tab.followFile(dir.filePath(QStringLiteral("missing.log"))));
}

QTEST_MAIN(TestDoctorTab)
#include "tst_doctortab.moc"
