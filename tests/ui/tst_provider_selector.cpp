// The GUI's provider selector (issue 15): it lists every profile, the choice reaches what the
// window hands to core (SessionConfig, CheckConfig, LoadOptions), it is remembered, and a bad
// remembered value falls back to Twilio with a message. No timing asserts: states and values.
#include "ChartsPanel.h"
#include "ChartsTimeSeriesPlot.h"
#include "ChecklistPanel.h"
#include "ConnectionPanel.h"
#include "LoadPage.h"
#include "LogPane.h"
#include "MainWindow.h"
#include "ProviderSelector.h"
#include "SessionController.h"
#include "SourcesPanel.h"
#include "TimeSeriesPlot.h"

#include <QAbstractSeries>
#include <QApplication>
#include <QChart>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>

using namespace pacelab;
using namespace pacelab::ui;
using Mode = SessionController::Mode;
using provider::Id;

class TestProviderSelector final : public QObject
{
    Q_OBJECT
private:
    // As a user does: through the combo box, not setProvider().
    static void choose(MainWindow &w, Id id)
    {
        QComboBox *combo = w.providerSelector()->comboBox();
        const int index = combo->findData(int(id));
        QVERIFY(index >= 0);
        combo->setCurrentIndex(index);
    }
    static void setMode(MainWindow &w, Mode m)
    {
        auto *combo = w.connectionPanel()->findChild<QComboBox *>(QStringLiteral("mode"));
        QVERIFY(combo);
        combo->setCurrentIndex(combo->findData(int(m)));
        QCOMPARE(w.connectionPanel()->mode(), m);
    }
    static QString savedProvider() { return QSettings().value(ProviderSelector::settingsKey()).toString(); }
    static QString bufferedTitle(MainWindow &w)
    {
        for (TimeSeriesPlot *p : w.charts()->plots())
            if (p->title().startsWith(QStringLiteral("Buffered at")))
                return p->title();
        return {};
    }
    // Everything the window hands to core speaks `id`.
    static void verifyEverywhere(MainWindow &w, Id id)
    {
        const SessionConfig &cfg = w.session()->config();
        QCOMPARE(cfg.provider(), id);
        QCOMPARE(cfg.sender.provider, id);
        QCOMPARE(cfg.emulator.provider, id);
        QCOMPARE(cfg.sender.frameIntervalUs, provider::profile(id).outboundFormat().frameUs());
        QCOMPARE(w.session()->engine()->config().provider, id);
        QCOMPARE(w.checklist()->config({QStringLiteral("S1")}).provider, id);
        QCOMPARE(w.checklist()->config({QStringLiteral("B1")}).provider, id);
        QCOMPARE(w.loadPage()->options().call.provider, id);
        QCOMPARE(w.sources()->format(), provider::profile(id).outboundFormat()); // what sources frame
        QCOMPARE(w.providerSelector()->provider(), id);
        const QString name = ProviderSelector::shortName(id);
        QVERIFY2(w.providerStatusText().contains(name), qPrintable(w.providerStatusText()));
        QCOMPARE(bufferedTitle(w), QStringLiteral("Buffered at %1").arg(name));
        // The queue chart's capacity line is the new engine's, drawn once.
        QStringList caps;
        for (TimeSeriesPlot *p : w.charts()->plots())
            if (auto *c = qobject_cast<ChartsTimeSeriesPlot *>(p); c && p->title().startsWith(QStringLiteral("Tx queue")))
                for (QAbstractSeries *s : c->chart()->series())
                    if (s->name().startsWith(QStringLiteral("cap ")))
                        caps << s->name();
        QCOMPARE(caps, QStringList{QStringLiteral("cap %1").arg(cfg.sender.queueCapacity)});
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Settings go to a test location, never the user's.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("PaceLabTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_provider_selector"));
    }
    void init() { QSettings().clear(); }

    void listsEveryProviderWithWhatItMeans()
    {
        ProviderSelector sel;
        QComboBox *combo = sel.comboBox();
        QCOMPARE(combo->count(), 5);
        QCOMPARE(provider::allIds().size(), 5);
        QStringList names;
        for (int i = 0; i < combo->count(); ++i) {
            const Id id = Id(combo->itemData(i).toInt());
            names << provider::name(id);
            QCOMPARE(combo->itemText(i), ProviderSelector::shortName(id));
            // The list's tooltip names the profile in full.
            QVERIFY(combo->itemData(i, Qt::ToolTipRole).toString().startsWith(provider::profile(id).displayName()));
        }
        QCOMPARE(names, (QStringList{QStringLiteral("twilio"), QStringLiteral("telnyx"), QStringLiteral("vonage"),
                                     QStringLiteral("plivo"), QStringLiteral("exotel")}));
        QCOMPARE(sel.provider(), Id::Twilio);
        // Twilio's profile does not change: its line is known exactly.
        QCOMPARE(sel.descriptionText(), QStringLiteral("8 kHz mu-law, 20 ms frames (160 B), JSON"));
        QCOMPARE(ProviderSelector::describe(Id::Twilio), QStringLiteral("Twilio: 8 kHz mu-law, 20 ms frames (160 B), JSON"));
        // The others from their profiles; Vonage sends binary L16 frames.
        QSignalSpy spy(&sel, &ProviderSelector::providerChanged);
        sel.setProvider(Id::Vonage);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).value<Id>(), Id::Vonage);
        const MediaFormat vonage = provider::profile(Id::Vonage).outboundFormat();
        QCOMPARE(sel.descriptionText(), vonage.describe() + QStringLiteral(", binary"));
        QVERIFY(sel.descriptionText().contains(QStringLiteral("L16")));
        QVERIFY(ProviderSelector::describe(Id::Vonage).startsWith(QStringLiteral("Vonage: ")));
        sel.setProvider(Id::Vonage); // no change, no signal
        QCOMPARE(spy.count(), 1);
        for (Id id : provider::allIds()) {
            sel.setProvider(id);
            QCOMPARE(sel.provider(), id);
            QVERIFY(sel.descriptionText().startsWith(provider::profile(id).outboundFormat().describe()));
            QVERIFY(ProviderSelector::compactText(id).startsWith(ProviderSelector::shortName(id) + QStringLiteral(" (")));
        }
    }

    void choosingReachesSessionCheckAndLoad()
    {
        MainWindow w;
        w.setConfirmHandler([](const QString &) { return true; });
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        verifyEverywhere(w, Id::Twilio);
        QVERIFY(w.session()->isActive()); // the emulator session starts at launch

        // The emulator session is local: it restarts with the new provider by itself.
        choose(w, Id::Vonage);
        verifyEverywhere(w, Id::Vonage);
        QVERIFY(w.session()->isActive());
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Provider: Vonage:")));
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("restarted")));
        QCOMPARE(savedProvider(), QStringLiteral("vonage"));

        // A mode that waits for the user's Connect: the session stops, sources feed the new
        // session's queue (nothing consumes it, so the tone fills it).
        setMode(w, Mode::ConnectUrl);
        QVERIFY(!w.session()->isActive());
        choose(w, Id::Exotel);
        verifyEverywhere(w, Id::Exotel);
        QVERIFY(!w.session()->isActive());
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("The next session uses it")));
        QVERIFY(w.sources()->startSource(QStringLiteral("tone")));
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->queue()->size() > 0, 30000);
        // Changing again stops the source before its queue goes away.
        choose(w, Id::Plivo);
        verifyEverywhere(w, Id::Plivo);
        QCOMPARE(w.sources()->runningCount(), 0);
        QCOMPARE(w.session()->queue()->size(), 0);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Sources were stopped")));
        choose(w, Id::Telnyx);
        verifyEverywhere(w, Id::Telnyx);
    }

    void liveOutwardSessionAsksFirst()
    {
        MainWindow w;
        QStringList asked;
        bool answer = false;
        w.setConfirmHandler([&](const QString &q) {
            asked << q;
            return answer;
        });
        setMode(w, Mode::ListenTwilio); // the launch session is not live yet, or is ended here
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        auto *host = w.connectionPanel()->findChild<QLineEdit *>(QStringLiteral("listenHost"));
        auto *spin = w.connectionPanel()->findChildren<QSpinBox *>().value(0);
        if (host)
            host->setText(QStringLiteral("127.0.0.1"));
        QVERIFY(spin);
        spin->setValue(port);
        asked.clear();
        w.connectSession();
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->status() == SessionController::Status::Busy
                                     || w.session()->status() == SessionController::Status::Failed, 30000);
        if (w.session()->status() == SessionController::Status::Failed)
            QSKIP("could not listen on a loopback port");

        // Declined: nothing changes, the selector shows the session's provider again.
        choose(w, Id::Vonage);
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked.first().contains(QStringLiteral("Vonage")) && asked.first().contains(QStringLiteral("Twilio")),
                 qPrintable(asked.first()));
        QVERIFY(w.session()->isActive());
        verifyEverywhere(w, Id::Twilio);
        QVERIFY(!QSettings().contains(ProviderSelector::settingsKey()));

        // Accepted: the session ends (the user connects again), everything speaks Vonage.
        answer = true;
        choose(w, Id::Vonage);
        QCOMPARE(asked.size(), 2);
        QVERIFY(!w.session()->isActive());
        verifyEverywhere(w, Id::Vonage);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Connect starts it with Vonage")));
    }

    void persistenceRoundTrip()
    {
        for (Id id : provider::allIds()) {
            QSettings s;
            ProviderSelector::save(s, id);
            QString problem = QStringLiteral("x");
            QCOMPARE(ProviderSelector::loadSaved(s, &problem), id);
            QVERIFY(problem.isEmpty());
        }
        QSettings().clear();
        QString problem;
        QCOMPARE(ProviderSelector::loadSaved(QSettings(), &problem), Id::Twilio); // nothing saved
        QVERIFY(problem.isEmpty());
        QSettings().setValue(ProviderSelector::settingsKey(), QStringLiteral(" Plivo ")); // hand-edited
        QCOMPARE(ProviderSelector::loadSaved(QSettings(), &problem), Id::Plivo);

        QSettings().clear();
        {
            MainWindow w;
            w.setConfirmHandler([](const QString &) { return true; });
            choose(w, Id::Exotel);
            QCOMPARE(savedProvider(), QStringLiteral("exotel"));
        }
        {
            MainWindow w; // the next launch speaks what was picked
            verifyEverywhere(w, Id::Exotel);
            QVERIFY(w.session()->providerProblem().isEmpty());
        }
        {
            // --provider wins for that run and is not remembered.
            MainWindow w(nullptr, Id::Vonage);
            verifyEverywhere(w, Id::Vonage);
            QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Provider from the command line")));
        }
        QCOMPARE(savedProvider(), QStringLiteral("exotel"));
    }

    void badSavedValueFallsBackToTwilio_data()
    {
        QTest::addColumn<QVariant>("value");
        QTest::newRow("unknown name") << QVariant(QStringLiteral("skype"));
        QTest::newRow("empty") << QVariant(QString());
        QTest::newRow("number") << QVariant(42);
        QTest::newRow("list") << QVariant(QStringList{QStringLiteral("twilio"), QStringLiteral("vonage")});
    }
    void badSavedValueFallsBackToTwilio()
    {
        QFETCH(QVariant, value);
        QSettings().setValue(ProviderSelector::settingsKey(), value);
        QString problem;
        QCOMPARE(ProviderSelector::loadSaved(QSettings(), &problem), Id::Twilio);
        QVERIFY2(problem.contains(QStringLiteral("session/provider")) && problem.contains(QStringLiteral("using Twilio"))
                     && problem.contains(provider::namesJoined()),
                 qPrintable(problem));

        MainWindow w;
        verifyEverywhere(w, Id::Twilio);
        QCOMPARE(w.session()->providerProblem(), problem);
        QVERIFY(w.logPane()->plainText().contains(QStringLiteral("Provider: ") + problem));
    }

    // The selector, what it means and the status-bar line stay in view and readable from
    // 1024x700 to 4K, whichever provider (the longest line decides).
    void visibleAtEverySize_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x700") << QSize(1024, 700);
        QTest::newRow("1280x800") << QSize(1280, 800);
        QTest::newRow("1920x1080") << QSize(1920, 1080);
        QTest::newRow("3840x2160") << QSize(3840, 2160);
    }
    void visibleAtEverySize()
    {
        QFETCH(QSize, size);
        MainWindow w;
        w.setConfirmHandler([](const QString &) { return true; });
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        for (Id id : provider::allIds()) {
            choose(w, id);
            for (int i = 0; i < 4; ++i) // the chain of posted layout requests, label to tab widget
                QCoreApplication::processEvents();
            QVERIFY(w.width() <= size.width());
            auto *combo = w.providerSelector()->comboBox();
            auto *description = w.providerSelector()->findChild<QLabel *>(QStringLiteral("providerDescription"));
            auto *status = w.findChild<QLabel *>(QStringLiteral("providerStatus"));
            QVERIFY(description && status);
            for (QWidget *x : {static_cast<QWidget *>(combo), static_cast<QWidget *>(description), static_cast<QWidget *>(status)}) {
                // Shown (not pushed into the toolbar's overflow menu) and entirely inside the window.
                QVERIFY2(x->isVisible(), qPrintable(x->objectName()));
                const QRect r(x->mapTo(&w, QPoint(0, 0)), x->size());
                QVERIFY2(w.rect().contains(r), qPrintable(QStringLiteral("%1 %2: at %3,%4 %5x%6 in %7x%8")
                                                              .arg(provider::name(id), x->objectName()).arg(r.x()).arg(r.y())
                                                              .arg(r.width()).arg(r.height()).arg(w.width()).arg(w.height())));
            }
            for (QLabel *l : {description, status})
                QVERIFY2(l->width() + 1 >= l->sizeHint().width(),
                         qPrintable(QStringLiteral("'%1' needs %2 px, has %3").arg(l->text()).arg(l->sizeHint().width()).arg(l->width())));
            QVERIFY2(combo->width() - 24 >= combo->fontMetrics().horizontalAdvance(combo->currentText()), qPrintable(combo->currentText()));
        }
    }

    void fixedWhileAChecklistRuns()
    {
        MainWindow w;
        QComboBox *combo = w.providerSelector()->comboBox();
        QVERIFY(combo->isEnabled());
        QVERIFY(w.checklist()->runScenarios({QStringLiteral("E1")}));
        QVERIFY(!combo->isEnabled());
        w.checklist()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!w.checklist()->isRunning(), 60000);
        QVERIFY(combo->isEnabled());
    }
};

QTEST_MAIN(TestProviderSelector)
#include "tst_provider_selector.moc"
