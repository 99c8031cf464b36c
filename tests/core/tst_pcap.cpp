// pcap/pcapng replay through tshark: the test captures in tests/data/replay/pcap (written by
// make_pcaps.py there, deterministic) read into streams with their direction and streamSid,
// and analysed as the replay of a capture would be. The tshark rows skip when tshark is not
// installed (scripts/deps.sh installs it); the parsing of tshark's output, the missing-tshark
// message and the non-pcap checks run everywhere.
#include "replay/PcapReader.h"
#include "replay/Replay.h"
#include "twilio/TwilioMessages.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace pacelab;
using namespace pacelab::replay;

namespace {

QString data(const QString &name)
{
    return QStringLiteral(PACELAB_TEST_DATA_DIR "/replay/pcap/") + name;
}

const QString kSidA = QStringLiteral("MZ") + QString(32, QLatin1Char('a'));
const QString kSidB = QStringLiteral("MZ") + QString(32, QLatin1Char('b'));

#define NEED_TSHARK()                                                                                  \
    if (pcap::findTshark().isEmpty())                                                                  \
        QSKIP("tshark is not installed (Debian package tshark; scripts/deps.sh installs it)");

// One line of tshark -T ek output with the fields PcapReader asks for.
QByteArray ekLine(const QString &t, int stream, const QString &src, int sport, const QString &dst, int dport,
                  const QStringList &texts, const QString &protocols = QStringLiteral("eth:ethertype:ip:tcp:http:websocket"))
{
    QJsonObject layers{{QStringLiteral("frame_time_epoch"), QJsonArray{t}},
                       {QStringLiteral("frame_protocols"), QJsonArray{protocols}},
                       {QStringLiteral("tcp_stream"), QJsonArray{QString::number(stream)}},
                       {QStringLiteral("ip_src"), QJsonArray{src}},
                       {QStringLiteral("ip_dst"), QJsonArray{dst}},
                       {QStringLiteral("tcp_srcport"), QJsonArray{QString::number(sport)}},
                       {QStringLiteral("tcp_dstport"), QJsonArray{QString::number(dport)}}};
    if (!texts.isEmpty()) {
        QJsonArray ops, tx;
        for (const QString &x : texts) {
            ops.append(QStringLiteral("1"));
            tx.append(x);
        }
        layers.insert(QStringLiteral("websocket_opcode"), ops);
        layers.insert(QStringLiteral("websocket_payload_text"), tx);
    }
    return "{\"index\":{\"_index\":\"packets-2026-11-18\",\"_type\":\"doc\"}}\n"
        + QJsonDocument(QJsonObject{{QStringLiteral("layers"), layers}}).toJson(QJsonDocument::Compact) + "\n";
}

pcap::ReadResult parse(const QByteArray &ek)
{
    QByteArray copy = ek;
    QBuffer b(&copy);
    b.open(QIODevice::ReadOnly);
    return pcap::parseEk(&b);
}

} // namespace

class TestPcap final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void magic()
    {
        QVERIFY(pcap::looksLikePcap(QByteArray::fromHex("d4c3b2a102000400")));
        QVERIFY(pcap::looksLikePcap(QByteArray::fromHex("a1b2c3d4")));
        QVERIFY(pcap::looksLikePcap(QByteArray::fromHex("4d3cb2a1"))); // ns resolution
        QVERIFY(pcap::looksLikePcap(QByteArray::fromHex("0a0d0d0a")));  // pcapng
        QVERIFY(!pcap::looksLikePcap("{\"type\""));
        QVERIFY(!pcap::looksLikePcap("RIFF"));
        QVERIFY(!pcap::looksLikePcap("\xd4\xc3"));
    }

    // The parsing half on tshark-shaped output: direction from what each side says, streams
    // split by TCP connection and streamSid, messages before the start kept with their stream.
    void parsesTsharkOutput()
    {
        const QString tw = QStringLiteral("10.0.0.1"), bot = QStringLiteral("10.0.0.2");
        const QString sid2 = QStringLiteral("MZ") + QString(32, QLatin1Char('2'));
        QByteArray ek;
        ek += ekLine(QStringLiteral("100.000000000"), 0, tw, 4000, bot, 5050, {QStringLiteral("{\"event\":\"connected\"}")});
        ek += ekLine(QStringLiteral("100.001000000"), 0, tw, 4000, bot, 5050,
                     {QStringLiteral("{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"streamSid\":\"%1\",\"callSid\":\"CA1\"},\"streamSid\":\"%1\"}").arg(kSidA)});
        // two bot frames in one TCP segment
        ek += ekLine(QStringLiteral("100.020000000"), 0, bot, 5050, tw, 4000,
                     {QString::fromUtf8(twilio::encodeMedia(kSidA, QByteArray(160, 'x'))),
                      QString::fromUtf8(twilio::encodeMedia(kSidA, QByteArray(160, 'y')))});
        // a second call on the same connection (a new streamSid), and one on another connection
        ek += ekLine(QStringLiteral("100.500000000"), 0, tw, 4000, bot, 5050,
                     {QStringLiteral("{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"streamSid\":\"%1\"},\"streamSid\":\"%1\"}").arg(sid2)});
        ek += ekLine(QStringLiteral("100.520000000"), 0, bot, 5050, tw, 4000, {QString::fromUtf8(twilio::encodeMedia(sid2, QByteArray(160, 'z')))});
        ek += ekLine(QStringLiteral("100.300000000"), 1, tw, 4001, bot, 5050, {QStringLiteral("{\"event\":\"connected\"}")});
        ek += ekLine(QStringLiteral("100.300000000"), 1, bot, 5050, tw, 4001, {}, QStringLiteral("eth:ethertype:ip:tcp:tls"));
        // a capture of the bot's direction only (tcpdump with a src filter): still the bot
        ek += ekLine(QStringLiteral("101.000000000"), 2, bot, 5050, tw, 4002, {QString::fromUtf8(twilio::encodeMedia(kSidB, QByteArray(160, 'x')))});
        // nothing says who is who: the connected-to side (HTTP upgrade seen) is the bot, noted
        QByteArray upgrade = ekLine(QStringLiteral("102.000000000"), 3, tw, 4003, bot, 6000, {});
        upgrade.replace("\"tcp_stream\"", "\"http_request_method\":[\"GET\"],\"tcp_stream\"");
        ek += upgrade;
        ek += ekLine(QStringLiteral("102.100000000"), 3, bot, 6000, tw, 4003, {QStringLiteral("{\"hello\":1}")});
        const pcap::ReadResult r = parse(ek);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.textMessages, 9);
        QCOMPARE(r.streams.size(), 5);
        QCOMPARE(r.streams[3].streamSid, kSidB);
        QCOMPARE(r.streams[3].outMessages, 1);
        QVERIFY(r.streams[3].directionFromContent);
        QCOMPARE(r.streams[4].botEndpoint, QStringLiteral("10.0.0.2:6000"));
        QCOMPARE(r.streams[4].outMessages, 1);
        QVERIFY(!r.streams[4].directionFromContent);
        QVERIFY(r.notes.join(QLatin1Char(' ')).contains(QStringLiteral("10.0.0.2:6000 taken as the bot")));
        QCOMPARE(r.tlsPackets, 1);
        QCOMPARE(r.streams[0].streamSid, kSidA);
        QCOMPARE(r.streams[0].callSid, QStringLiteral("CA1"));
        QCOMPARE(r.streams[0].botEndpoint, QStringLiteral("10.0.0.2:5050"));
        QVERIFY(r.streams[0].directionFromContent);
        QCOMPARE(r.streams[0].inMessages, 2); // connected (before any streamSid) + start
        QCOMPARE(r.streams[0].outMessages, 2);
        QCOMPARE(r.streams[0].records[0].tUs, 100'000'000LL);
        QCOMPARE(r.streams[0].records[2].dir, capture::Dir::Out);
        QCOMPARE(r.streams[0].records[2].tUs, 100'020'000LL);
        QCOMPARE(r.streams[1].tcpStream, 1); // started at 100.3 s: ordered by first message
        QVERIFY(r.streams[1].streamSid.isEmpty());
        QCOMPARE(r.streams[2].streamSid, sid2);
        QCOMPARE(r.streams[2].outMessages, 1);
        QVERIFY(r.notes.join(QLatin1Char(' ')).contains(QStringLiteral("TLS")));
    }

    void parseErrors()
    {
        // TLS only: the message says where to capture instead.
        pcap::ReadResult r = parse(ekLine(QStringLiteral("1.0"), 0, QStringLiteral("1.1.1.1"), 443, QStringLiteral("2.2.2.2"), 5000, {},
                                          QStringLiteral("eth:ethertype:ip:tcp:tls")));
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("TLS terminator")), qPrintable(r.error));
        // Nothing WebSocket at all, and garbage lines.
        r = parse("not json\n{\"layers\":{}}\n");
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("no WebSocket text messages")), qPrintable(r.error));
        // A time that is not one.
        r = parse(ekLine(QStringLiteral("-5"), 0, QStringLiteral("1.1.1.1"), 1, QStringLiteral("2.2.2.2"), 2, {QStringLiteral("{}")}));
        QVERIFY(!r.ok);
    }

    void tsharkMissing()
    {
        const QByteArray old = qgetenv("PACELAB_TSHARK");
        const bool had = qEnvironmentVariableIsSet("PACELAB_TSHARK");
        qputenv("PACELAB_TSHARK", "");
        const LoadResult r = loadCall(data(QStringLiteral("two-calls.pcap")));
        if (had)
            qputenv("PACELAB_TSHARK", old);
        else
            qunsetenv("PACELAB_TSHARK");
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("install the Debian package tshark")), qPrintable(r.error));
    }

    void notAPcap()
    {
        // A .pcap name on a text file: named as what it is not, before tshark is run.
        LoadResult r = loadCall(data(QStringLiteral("not-a-pcap.pcap")));
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("is not a pcap or pcapng file")), qPrintable(r.error));
        QTemporaryDir dir;
        QFile empty(dir.filePath(QStringLiteral("empty.pcapng")));
        QVERIFY(empty.open(QIODevice::WriteOnly));
        empty.close();
        r = loadCall(empty.fileName());
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("empty")), qPrintable(r.error));
    }

    void twoCallsThroughTshark_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("pcap") << QStringLiteral("two-calls.pcap");
        QTest::newRow("pcapng") << QStringLiteral("two-calls.pcapng");
    }

    void twoCallsThroughTshark()
    {
        NEED_TSHARK();
        QFETCH(QString, file);
        const pcap::ReadResult r = pcap::readFile(data(file));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.textMessages, 283);
        QCOMPARE(r.streams.size(), 2);
        const pcap::Stream &a = r.streams[0], &b = r.streams[1];
        QCOMPARE(a.streamSid, kSidA);
        QCOMPARE(a.callSid, QStringLiteral("CA") + QString(32, QLatin1Char('a')));
        QCOMPARE(a.botEndpoint, QStringLiteral("10.0.0.2:5050"));
        QCOMPARE(a.twilioEndpoint, QStringLiteral("10.0.0.1:40001"));
        QVERIFY(a.directionFromContent);
        QCOMPARE(a.outMessages, 101); // 100 media + a mark
        QCOMPARE(a.inMessages, 54);   // connected, start, 50 media, the mark echo, stop
        QCOMPARE(b.streamSid, kSidB);
        QCOMPARE(b.outMessages, 75);  // three bursts of 25, one frame split over two segments
        QCOMPARE(b.inMessages, 53);
        // capture timestamps: the first message of call A at 1795000000.010 s
        QCOMPARE(a.records.first().tUs, 1'795'000'000'010'000LL);
    }

    void replayOfEachStream()
    {
        NEED_TSHARK();
        LoadResult r = loadCall(data(QStringLiteral("two-calls.pcap")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.source, LoadedCall::Source::Pcap);
        QVERIFY(r.call.hasTiming());
        QCOMPARE(r.call.streamSid, kSidA);
        QCOMPARE(r.call.streamsInFile.size(), 2);
        QCOMPARE(r.call.outAudio.size(), 100 * 160);
        QCOMPARE(r.call.inAudio.size(), 50 * 160);
        QVERIFY(r.call.notes.join(QLatin1Char(' ')).contains(QStringLiteral("2 streams")));
        Analysis a = analyze(r.call);
        QCOMPARE(a.stats.frames, 100);
        QCOMPARE(a.stats.burstCount, 0);
        QCOMPARE(a.marksSent, 1);
        QVERIFY(a.stats.driftValid);
        QVERIFY2(std::abs(a.stats.driftPpm) < 100, qPrintable(QString::number(a.stats.driftPpm)));

        // The bursty call, chosen by number, streamSid or callSid: three bursts, no drift.
        LoadOptions lo;
        for (const QString &which : {QStringLiteral("2"), kSidB, QStringLiteral("CA") + QString(32, QLatin1Char('b'))}) {
            lo.stream = which;
            r = loadCall(data(QStringLiteral("two-calls.pcap")), lo);
            QVERIFY2(r.ok, qPrintable(r.error));
            QCOMPARE(r.call.streamSid, kSidB);
        }
        a = analyze(r.call);
        QCOMPARE(a.stats.frames, 75);
        QCOMPARE(a.stats.burstCount, 3);
        QVERIFY(a.stats.driftValid);
        QVERIFY2(std::abs(a.stats.driftPpm) < 1000, qPrintable(QString::number(a.stats.driftPpm)));
        lo.stream = QStringLiteral("7");
        r = loadCall(data(QStringLiteral("two-calls.pcap")), lo);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("no stream '7'")) && r.error.contains(kSidB), qPrintable(r.error));
    }

    // A real tcpdump capture on loopback of PaceLab's engine (the WebSocket client here) sending
    // 2 s of tone to `pacelab emulate --listen` (the server, acting as Twilio): the bot is the
    // side that connected, and the content says so.
    void recordedEngineToEmulator()
    {
        NEED_TSHARK();
        const LoadResult r = loadCall(data(QStringLiteral("engine-emulator.pcap")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.streamSid, QStringLiteral("MZ00000000000000000000000000000e2e"));
        QCOMPARE(r.call.header.value(QStringLiteral("twilio")).toString(), QStringLiteral("127.0.0.1:18765"));
        QCOMPARE(r.call.header.value(QStringLiteral("bot")).toString(), QStringLiteral("127.0.0.1:56574"));
        QCOMPARE(r.call.outMessages, 104);
        QVERIFY(!r.call.notes.join(QLatin1Char(' ')).contains(QStringLiteral("guessed")));
        const Analysis a = analyze(r.call);
        QCOMPARE(a.stats.frames, 104);
        QCOMPARE(a.stats.burstCount, 0);
        QCOMPARE(a.underruns, 0);
        QVERIFY(!a.problems);
    }

    void tlsCapture()
    {
        NEED_TSHARK();
        const LoadResult r = loadCall(data(QStringLiteral("tls.pcap")));
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QStringLiteral("TLS")) && r.error.contains(QStringLiteral("TLS terminator")),
                 qPrintable(r.error));
    }

    void cutCapture()
    {
        NEED_TSHARK();
        const LoadResult r = loadCall(data(QStringLiteral("cut.pcap")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY2(r.call.notes.join(QLatin1Char(' ')).contains(QStringLiteral("cut short")), qPrintable(r.call.notes.join(QLatin1Char('|'))));
        QVERIFY(r.call.outMessages >= 1);
    }

    void commandLine()
    {
        NEED_TSHARK();
        const QString bin = QStringLiteral(PACELAB_BINARY);
        if (!QFile::exists(bin))
            QSKIP("pacelab binary not built");
        auto run = [&](const QStringList &args) {
            QProcess p;
            p.start(bin, QStringList{QStringLiteral("replay"), QStringLiteral("--quiet")} + args);
            p.waitForFinished(120000);
            return qMakePair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
        };
        auto res = run({data(QStringLiteral("two-calls.pcapng"))});
        QVERIFY2(res.first == 0, qPrintable(res.second));
        QVERIFY2(res.second.contains(QStringLiteral("pcap")) && res.second.contains(QStringLiteral("2 streams")), qPrintable(res.second));
        res = run({data(QStringLiteral("two-calls.pcap")), QStringLiteral("--stream"), QStringLiteral("2")});
        QCOMPARE(res.first, 1); // three bursts: a problem
        QVERIFY2(res.second.contains(QStringLiteral("bursts 3")), qPrintable(res.second));
        res = run({data(QStringLiteral("tls.pcap"))});
        QCOMPARE(res.first, 2);
        QVERIFY2(res.second.contains(QStringLiteral("TLS terminator")), qPrintable(res.second));
        res = run({data(QStringLiteral("not-a-pcap.pcap"))});
        QCOMPARE(res.first, 2);
        res = run({data(QStringLiteral("two-calls.pcap")), QStringLiteral("--ws-port"), QStringLiteral("x")});
        QCOMPARE(res.first, 2);
    }
};

QTEST_GUILESS_MAIN(TestPcap)
#include "tst_pcap.moc"
