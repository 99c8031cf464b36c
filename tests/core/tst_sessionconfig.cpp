// SessionConfig: the one place the session's settings are checked. Every setting's bad value
// gets its own message naming it, the settings table reaches every field, the command-line
// options and the QSettings keys built from that table put values where they belong, and bad
// input on either path is refused with validate()'s message.
#include "SessionOptions.h"
#include "session/SessionConfig.h"

#include <QCommandLineParser>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using namespace pacelab;

class TestSessionConfig final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static QString parse(const QStringList &args, SessionConfig *cfg,
                         app::SessionGroups groups = app::SessionGroups::All)
    {
        QCommandLineParser parser;
        app::addSessionOptions(parser, groups);
        if (!parser.parse(QStringList{QStringLiteral("pacelab")} + args))
            return parser.errorText();
        QString error;
        return app::readSessionOptions(parser, cfg, &error, groups) ? QString() : error;
    }

private Q_SLOTS:
    void defaultsAreValid()
    {
        QString key = QStringLiteral("untouched");
        QCOMPARE(SessionConfig().validate(&key), QString());
        QVERIFY(key.isEmpty());
    }

    // Each setting's getter and setter touch its own field and no other.
    void tableReachesEveryField()
    {
        const SessionConfig defaults;
        QSet<QString> keys;
        for (const SessionSetting &s : sessionSettings()) {
            QVERIFY2(!keys.contains(s.key), qPrintable(s.key));
            keys.insert(s.key);
            QVERIFY(!s.label.isEmpty() && !s.help.isEmpty());
            SessionConfig c;
            const qint64 v = s.kind == SessionSetting::Kind::Bool ? 1 - s.get(defaults) : s.get(defaults) + 7;
            s.set(c, v);
            QCOMPARE(s.get(c), v);
            for (const SessionSetting &other : sessionSettings())
                if (other.key != s.key)
                    QVERIFY2(other.get(c) == other.get(defaults), qPrintable(s.key + QStringLiteral(" moved ") + other.key));
        }
        QCOMPARE(findSessionSetting(QStringLiteral("high-water"))->label, QStringLiteral("High-water mark"));
        QVERIFY(!findSessionSetting(QStringLiteral("no-such-setting")));
    }

    void badValueNamesItsSetting_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<qint64>("value");
        QTest::addColumn<QString>("message");
        auto row = [](const char *key, qint64 v, const char *message) {
            QTest::newRow(key) << QString::fromLatin1(key) << v << QString::fromLatin1(message);
        };
        row("queue-capacity", -1, "queue capacity must be >= 0 (0 = unbounded), got -1");
        row("high-water", 121, "high-water mark must be between 0 and the queue capacity (120), got 121");
        row("send-queue-capacity", -3, "send queue capacity must be 0..1000000 (0 = unbounded), got -3");
        row("frame-interval-us", 999, "frame interval must be 1000..1000000 us, got 999");
        row("max-late-frames", 0, "max late frames must be 1..1000, got 0");
        row("wake-lead-us", 20001, "wake lead must be 0..20000 us, got 20001");
        row("spin-us", 2001, "spin time must be 0..wake lead (2000) us, got 2001");
        row("rt-priority", 100, "real-time priority must be 0..99 (0 = off), got 100");
        row("ping-interval-ms", -1, "ping interval must be >= 0 ms (0 = off), got -1");
        row("max-missed-pongs", -1, "max missed pongs must be >= 0 (0 = never give up), got -1");
        row("max-bytes-to-write", 1023, "max bytes to write must be >= 1024, got 1023");
        row("drop-warning-interval-ms", -5, "drop warning interval must be >= 0 ms, got -5");
        row("drain-timeout-ms", -1, "drain timeout must be >= 0 ms, got -1");
        row("connect-timeout-ms", -1, "connect timeout must be >= 0 ms (0 = none), got -1");
        row("reconnect-initial-ms", 0, "reconnect backoff must satisfy 1 <= initial (0) <= max (10000) ms");
        row("reconnect-max-ms", 100, "reconnect backoff must satisfy 1 <= initial (500) <= max (100) ms");
        row("reconnect-attempts", -1, "reconnect attempts must be >= 0 (0 = no limit), got -1");
        row("jitter-buffer-ms", 2001, "jitter buffer must be 0..2000 ms, got 2001");
        row("pause-threshold-ms", 99, "pause threshold must be 100..60000 ms, got 99");
        row("silence-hold-ms", 19, "silence after clear must be 20..10000 ms, got 19");
        row("max-buffered-ms", 999, "Twilio buffer limit must be 1000..3600000 ms, got 999");
        row("burst-window-ms", 99, "burst window must be 100..60000 ms, got 99");
        row("burst-tolerance-ms", -1, "burst tolerance must be 0..10000 ms, got -1");
        row("spurt-gap-ms", 99, "talk-spurt gap must be 100..600000 ms, got 99");
        row("max-message-bytes", 1023, "largest message must be 1024..1073741824 bytes, got 1023");
        row("emulator-connect-timeout-ms", -1, "emulator connect timeout must be 0..600000 ms (0 = none), got -1");
        row("max-record-bytes", -1, "recording limit must be 0..2147483647 bytes, got -1");
    }

    void badValueNamesItsSetting()
    {
        QFETCH(QString, key);
        QFETCH(qint64, value);
        QFETCH(QString, message);
        const SessionSetting *s = findSessionSetting(key);
        QVERIFY(s);
        SessionConfig c;
        s->set(c, value);
        QString bad;
        QCOMPARE(c.validate(&bad), message);
        QCOMPARE(bad, key);
        // The same value on the command line: exit message "--KEY: <message>".
        SessionConfig fromCli;
        QCOMPARE(parse({QStringLiteral("--") + key, QString::number(value)}, &fromCli),
                 QStringLiteral("--%1: %2").arg(key, message));
    }

    // Every int setting and both switches have a row above (a new setting needs its row).
    void everyIntSettingHasABadValueRow()
    {
        int ints = 0;
        for (const SessionSetting &s : sessionSettings())
            ints += s.kind == SessionSetting::Kind::Int;
        QCOMPARE(ints, 27);
    }

    void cliPutsValuesInPlace()
    {
        SessionConfig c;
        QCOMPARE(parse({"--high-water", "20", "--ping-interval-ms", "5000", "--jitter-buffer-ms", "60",
                        "--reconnect", "--queue-capacity", "200", "--drop-warning-interval-ms", "500",
                        "--max-missed-pongs", "5", "--connect-timeout-ms", "3000"},
                       &c),
                 QString());
        QCOMPARE(c.sender.highWater, 20);
        QCOMPARE(c.sender.queueCapacity, 200);
        QCOMPARE(c.sender.pingIntervalMs, 5000);
        QCOMPARE(c.sender.dropWarnIntervalMs, 500);
        QCOMPARE(c.sender.maxMissedPongs, 5);
        QCOMPARE(c.sender.connectTimeoutMs, 3000);
        QVERIFY(c.sender.reconnect);
        QCOMPARE(c.emulator.playout.jitterBufferUs, qint64(60000));
        // Options not given keep the config's own values.
        SessionConfig pre;
        pre.sender.telemetryJsonlPath = QStringLiteral("x.jsonl");
        pre.emulator.sendInboundMedia = false;
        QCOMPARE(parse({}, &pre), QString());
        QCOMPARE(pre.sender.telemetryJsonlPath, QStringLiteral("x.jsonl"));
        QVERIFY(!pre.emulator.sendInboundMedia);
    }

    void cliRefusesNonNumbers_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("text") << QStringList{"--high-water", "ten"} << "--high-water wants a whole number of frames, got 'ten'";
        QTest::newRow("fraction") << QStringList{"--ping-interval-ms", "1.5"} << "--ping-interval-ms wants a whole number of ms, got '1.5'";
        QTest::newRow("huge") << QStringList{"--queue-capacity", "99999999999"} << "--queue-capacity wants a whole number of frames, got '99999999999'";
        QTest::newRow("empty") << QStringList{"--max-missed-pongs", ""} << "--max-missed-pongs wants a whole number, got ''";
        QTest::newRow("two faults, capacity first") << QStringList{"--queue-capacity", "5", "--high-water", "8"}
                                                     << "--high-water: high-water mark must be between 0 and the queue capacity (5), got 8";
    }

    void cliRefusesNonNumbers()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        SessionConfig c;
        QCOMPARE(parse(args, &c), message);
    }

    // emulate takes only the emulator's settings.
    void groupsLimitTheOptions()
    {
        SessionConfig c;
        QVERIFY(parse({"--jitter-buffer-ms", "80"}, &c, app::SessionGroups::Emulator).isEmpty());
        QCOMPARE(c.emulator.playout.jitterBufferUs, qint64(80000));
        QVERIFY(parse({"--high-water", "5"}, &c, app::SessionGroups::Emulator).contains(QStringLiteral("high-water")));
    }

    // The real binary: a bad setting is a usage error (exit 2) with validate()'s message,
    // before anything connects.
    void headlessExitsTwo()
    {
        QProcess p;
        p.start(QStringLiteral(PACELAB_BINARY), {"--headless", "--duration", "1", "--jitter-buffer-ms", "5000"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(QString::fromUtf8(p.readAllStandardError()).contains(QStringLiteral("--jitter-buffer-ms: jitter buffer must be 0..2000 ms, got 5000")),
                 "validate()'s message expected");
    }

    void settingsRoundTrip()
    {
        QSettings s(m_dir.filePath(QStringLiteral("rt.ini")), QSettings::IniFormat);
        SessionConfig c;
        c.sender.highWater = 12;
        c.sender.reconnect = true;
        c.emulator.playout.jitterBufferUs = 80000;
        saveSessionSettings(s, c);
        s.sync();
        QSettings again(m_dir.filePath(QStringLiteral("rt.ini")), QSettings::IniFormat);
        SessionConfig loaded;
        QCOMPARE(loadSessionSettings(again, &loaded), QString());
        QCOMPARE(loaded.sender.highWater, 12);
        QVERIFY(loaded.sender.reconnect);
        QCOMPARE(loaded.emulator.playout.jitterBufferUs, qint64(80000));
    }

    // A hand-edited file: the message, and the config left as it was (no half-applied values).
    void settingsRefuseBadValues()
    {
        QSettings s(m_dir.filePath(QStringLiteral("bad.ini")), QSettings::IniFormat);
        s.setValue(QStringLiteral("session/ping-interval-ms"), 1000);
        s.setValue(QStringLiteral("session/high-water"), QStringLiteral("lots"));
        SessionConfig c;
        QCOMPARE(loadSessionSettings(s, &c), QStringLiteral("setting high-water: 'lots' is not a whole number"));
        QCOMPARE(c.sender.pingIntervalMs, SenderConfig().pingIntervalMs);
        s.setValue(QStringLiteral("session/high-water"), 500);
        QCOMPARE(loadSessionSettings(s, &c), QStringLiteral("high-water mark must be between 0 and the queue capacity (120), got 500"));
        QCOMPARE(c.sender.highWater, SenderConfig().highWater);
        s.setValue(QStringLiteral("session/high-water"), 9);
        QCOMPARE(loadSessionSettings(s, &c), QString());
        QCOMPARE(c.sender.highWater, 9);
        QCOMPARE(c.sender.pingIntervalMs, 1000);
    }
};

QTEST_GUILESS_MAIN(TestSessionConfig)
#include "tst_sessionconfig.moc"
