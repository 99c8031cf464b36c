// Replay of every provider's protocol (docs/capture-format.md, "Providers"): calls synthesized
// with each profile's own encoders at timestamps the test chooses, written as a PaceLab capture
// and as a JSON Lines dump, are detected as that provider and analysed with its frame size,
// format and error codes; a bursty one shows its bursts; a malformed message gets the profile's
// code; a dump mixing two providers, an unrecognisable one and an unknown header name give a
// clear message; --provider and the capture header choose the protocol; a Vonage pcap (binary
// frames, tests/data/replay/providers/vonage-call.pcap) goes through tshark. All on recorded or
// synthesized input: no clock, no network. Over 500 lines: one data-driven suite sharing the
// call synthesizer and its capture/dump writers.
#include "provider/Provider.h"
#include "replay/Capture.h"
#include "replay/PcapReader.h"
#include "replay/Replay.h"
#include "session/Session.h"

#include <QBuffer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace pacelab;
using namespace pacelab::replay;
using provider::Id;

Q_DECLARE_METATYPE(pacelab::provider::Id)

namespace {

constexpr qint64 kT0 = 7'000'000'000; // steady clocks start anywhere

struct Msg
{
    qint64 tUs;
    capture::Dir dir;
    provider::WireMessage w;
};

// `ms` of a 440 Hz tone in format f.
QByteArray tone(const MediaFormat &f, int ms, int phase)
{
    QVector<qint16> s(f.sampleRate * ms / 1000);
    for (qsizetype i = 0; i < s.size(); ++i)
        s[i] = qint16(8000 * std::sin(2 * M_PI * 440 * double(i + phase) / f.sampleRate));
    return f.encode(s);
}

enum class Pace { Paced, Bursty };

// A call in `id`'s protocol: the handshake, 1 s of caller audio, `seconds` of bot audio in the
// profile's frames (paced: one frame every frameMs; bursty: 500 ms of audio at once every 500
// ms), a mark and its echo, the stop.
QList<Msg> synthCall(Id id, Pace pace, int seconds = 3)
{
    const provider::Profile &p = provider::profile(id);
    provider::StartParams sp = p.withIds(provider::StartParams());
    qint64 seq = 0;
    QList<Msg> msgs;
    for (const provider::WireMessage &w : p.encodeHandshake(sp, &seq))
        msgs.append({kT0, capture::Dir::In, w});
    const MediaFormat in = p.inboundFormat();
    for (int i = 0; i < 1000 / in.frameMs; ++i)
        msgs.append({kT0 + 50'000 + qint64(i) * in.frameUs(), capture::Dir::In,
                     p.encodeInboundMedia(sp, &seq, i + 1, qint64(i) * in.frameMs, tone(in, in.frameMs, i * in.samplesPerFrame()))});
    const MediaFormat out = p.outboundFormat();
    const int frames = seconds * 1000 / out.frameMs;
    const qint64 start = kT0 + 100'000;
    const int perChunk = 500 / out.frameMs;
    qint64 last = start;
    for (int i = 0; i < frames; ++i) {
        const qint64 t = pace == Pace::Paced ? start + qint64(i) * out.frameUs()
                                             : start + qint64(i / perChunk) * 500'000 + (i % perChunk) * 10;
        last = t;
        msgs.append({t, capture::Dir::Out, p.encodeMedia(sp.streamId, tone(out, out.frameMs, i * out.samplesPerFrame()))});
    }
    msgs.append({last + 1000, capture::Dir::Out, p.encodeMark(sp.streamId, QStringLiteral("end"))});
    msgs.append({last + 200'000, capture::Dir::In, p.encodeMarkEcho(sp, &seq, QStringLiteral("end"))});
    if (const auto stop = p.encodeStop(sp, &seq))
        msgs.append({last + 300'000, capture::Dir::In, *stop});
    std::stable_sort(msgs.begin(), msgs.end(), [](const Msg &a, const Msg &b) { return a.tUs < b.tUs; });
    return msgs;
}

// A PaceLab capture of the messages; headerProvider empty = no `provider` field.
QByteArray asCapture(const QList<Msg> &msgs, const QString &headerProvider = QString())
{
    QByteArray bytes;
    QBuffer buf(&bytes);
    buf.open(QIODevice::WriteOnly);
    capture::CaptureWriter w;
    w.open(&buf, headerProvider.isEmpty() ? QJsonObject() : capture::withProvider({}, headerProvider));
    for (const Msg &m : msgs)
        w.recordMessage(m.dir, m.w.binary ? capture::MsgKind::Binary : capture::MsgKind::Text, m.w.data, m.tUs);
    w.close();
    return bytes;
}

// A JSON Lines dump as a bot's logger writes it: one message per line in a wrapper with the time
// and direction; binary frames base64-encoded.
QByteArray asDump(const QList<Msg> &msgs)
{
    QByteArray out = "bot starting, unrelated log line\n";
    for (const Msg &m : msgs) {
        QJsonObject o{{QStringLiteral("t_us"), m.tUs}, {QStringLiteral("dir"), m.dir == capture::Dir::Out ? QStringLiteral("out") : QStringLiteral("in")}};
        if (m.w.binary) {
            o.insert(QStringLiteral("kind"), QStringLiteral("binary"));
            o.insert(QStringLiteral("data"), QString::fromLatin1(m.w.data.toBase64()));
        } else {
            o.insert(QStringLiteral("msg"), QJsonDocument::fromJson(m.w.data).object());
        }
        out += QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    }
    return out;
}

LoadResult load(const QByteArray &bytes, const LoadOptions &opt = LoadOptions())
{
    QByteArray copy = bytes;
    QBuffer b(&copy);
    b.open(QIODevice::ReadOnly);
    return loadCall(&b, opt);
}

int expectedCode(const provider::Profile &p, const provider::WireMessage &w)
{
    const provider::ParseResult r = p.parseFromBot(w.data, w.binary);
    return r.code != 0 ? r.code : p.codeFor(r.error);
}

void addProviderRows()
{
    QTest::addColumn<Id>("id");
    for (Id id : provider::allIds())
        QTest::newRow(qPrintable(provider::name(id))) << id;
}

} // namespace

class TestReplayProviders final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // PACELAB_WRITE_REPLAY_DATA=DIR writes the recorded dumps of recordedDumpsStillRead (one
    // second of each provider's call, synthesized as below) into DIR: how
    // tests/data/replay/providers/*-call.jsonl were made.
    void initTestCase()
    {
        const QByteArray dir = qgetenv("PACELAB_WRITE_REPLAY_DATA");
        if (dir.isEmpty())
            return;
        for (Id id : provider::allIds()) {
            QFile f(QString::fromLocal8Bit(dir) + QStringLiteral("/%1-call.jsonl").arg(provider::name(id)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(asDump(synthCall(id, Pace::Paced, 1)));
        }
    }

    // Dumps recorded once (above) still read as their provider: a profile change that stops
    // reading yesterday's dumps fails here.
    void recordedDumpsStillRead_data() { addProviderRows(); }
    void recordedDumpsStillRead()
    {
        QFETCH(Id, id);
        const provider::Profile &p = provider::profile(id);
        const LoadResult r = loadCall(QStringLiteral(PACELAB_TEST_DATA_DIR "/replay/providers/%1-call.jsonl").arg(p.name()));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, id);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Detected);
        QCOMPARE(r.call.errorCount, qint64(0));
        const Analysis a = analyze(r.call);
        QCOMPARE(a.stats.frames, qint64(1000 / p.outboundFormat().frameMs));
        QCOMPARE(a.stats.audioMs, 1000.0);
        QCOMPARE(a.violationCount, 0);
        QCOMPARE(r.call.inAudioSec(), 1.0);
        QVERIFY2(!a.problems, qPrintable(a.toText()));
    }

    void detectedAndReplayed_data()
    {
        QTest::addColumn<Id>("id");
        QTest::addColumn<bool>("dump");
        for (Id id : provider::allIds()) {
            QTest::newRow(qPrintable(provider::name(id) + QStringLiteral(" capture"))) << id << false;
            QTest::newRow(qPrintable(provider::name(id) + QStringLiteral(" dump"))) << id << true;
        }
    }
    void detectedAndReplayed()
    {
        QFETCH(Id, id);
        QFETCH(bool, dump);
        const provider::Profile &p = provider::profile(id);
        const QList<Msg> msgs = synthCall(id, Pace::Paced);
        const LoadResult r = load(dump ? asDump(msgs) : asCapture(msgs));
        QVERIFY2(r.ok, qPrintable(r.error));
        const LoadedCall &c = r.call;
        QCOMPARE(c.source, dump ? LoadedCall::Source::JsonDump : LoadedCall::Source::Capture);
        QCOMPARE(provider::name(c.provider), provider::name(id));
        QCOMPARE(c.providerFrom, LoadedCall::ProviderFrom::Detected);
        QVERIFY2(c.providerReason.contains(QStringLiteral("detected")), qPrintable(c.providerReason));
        QVERIFY2(c.foreignMessages.isEmpty(), qPrintable(c.notes.join('\n')));
        QCOMPARE(c.inInvalid, qint64(0));

        const MediaFormat out = p.outboundFormat();
        const int frames = 3000 / out.frameMs;
        QCOMPARE(c.outFormat.encoding, out.encoding);
        QCOMPARE(c.outFormat.sampleRate, out.sampleRate);
        QCOMPARE(c.outAudio.size(), qsizetype(frames) * out.frameBytes());
        QCOMPARE(c.outAudioSec(), 3.0);
        QCOMPARE(c.inAudioSec(), 1.0);

        const Analysis a = analyze(c);
        QCOMPARE(a.provider, p.name());
        QCOMPARE(a.stats.frames, qint64(frames));
        QCOMPARE(a.stats.audioMs, 3000.0);
        QCOMPARE(a.stats.bytes, qint64(frames) * out.frameBytes());
        QCOMPARE(a.stats.sizeHistogram.value(out.frameBytes()), qint64(frames));
        QCOMPARE(a.stats.nonStandardFrames, qint64(0));
        QCOMPARE(a.stats.burstCount, 0);
        QCOMPARE(a.violationCount, 0);
        QCOMPARE(a.underruns, 0);
        QCOMPARE(a.marksSent, 1);
        QCOMPARE(meanSendingFps(a.stats), 1000.0 / out.frameMs);
        QVERIFY2(!a.problems, qPrintable(a.toText()));
        QVERIFY2(a.toText().contains(QStringLiteral("Provider: %1").arg(p.displayName())), qPrintable(a.toText()));
        QCOMPARE(a.toJson().value(QStringLiteral("provider")).toObject().value(QStringLiteral("name")).toString(), p.name());

        // The audio decodes through the format: the tone comes back (not bytes/8 = ms).
        const PcmBuffer native = nativePcmAudio(c, capture::Dir::Out);
        QCOMPARE(native.sampleRate, out.sampleRate);
        QCOMPARE(native.frames(), qsizetype(3 * out.sampleRate));
        QCOMPARE(pcmAudio(c, capture::Dir::Out).sampleRate, kTwilioRate);
    }

    void burstyCallShowsTheBurst_data() { addProviderRows(); }
    void burstyCallShowsTheBurst()
    {
        QFETCH(Id, id);
        const LoadResult r = load(asDump(synthCall(id, Pace::Bursty)));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(provider::name(r.call.provider), provider::name(id));
        const Analysis a = analyze(r.call);
        QVERIFY2(a.stats.burstCount >= 3, qPrintable(a.toText())); // one per 500 ms chunk after the first
        QVERIFY(a.problems);
        QVERIFY2(a.verdicts.join('\n').contains(QStringLiteral("burst(s)")), qPrintable(a.toText()));
        QCOMPARE(a.stats.audioMs, 3000.0);
    }

    // Hostile variants of every provider's dump and capture (random byte mutations, cut lines,
    // swapped directions): load and analysis end with results or a message, never a crash.
    void mutatedRecordingsNeverCrash()
    {
        QRandomGenerator rng(15);
        int loaded = 0;
        for (Id id : provider::allIds()) {
            const QList<Msg> msgs = synthCall(id, Pace::Bursty, 1);
            for (const QByteArray &original : {asDump(msgs), asCapture(msgs)}) {
                for (int round = 0; round < 40; ++round) {
                    QByteArray b = original;
                    const int edits = 1 + int(rng.bounded(20));
                    for (int e = 0; e < edits; ++e) {
                        const qsizetype at = rng.bounded(int(b.size()));
                        switch (rng.bounded(4)) {
                        case 0: b[at] = char(rng.bounded(256)); break;
                        case 1: b.remove(at, rng.bounded(200)); break;
                        case 2: b.insert(at, "{\"dir\":\"in\",\"kind\":\"binary\",\"data\":\"//8=\"}\n"); break;
                        default: b.replace("\"out\"", "\"in\""); break;
                        }
                    }
                    const LoadResult r = load(b);
                    if (!r.ok) {
                        QVERIFY(!r.error.isEmpty());
                        continue;
                    }
                    ++loaded;
                    const Analysis a = analyze(r.call);
                    QVERIFY(a.stats.frames >= 0);
                    QVERIFY(!a.toText().isEmpty());
                    (void)mulawAudio(r.call, capture::Dir::Out);
                    (void)framesForResend(r.call, r.call.profile().outboundFormat());
                }
            }
        }
        QVERIFY(loaded > 100); // most variants still load: the mutations reach the parsers
    }

    // A clear with a mark still waiting: Twilio, Telnyx and Exotel echo it, Plivo and Vonage drop
    // it (Profile::clearEchoesPendingMarks), and replay counts echoes accordingly.
    void clearEchoesPendingMarksPerProvider_data() { addProviderRows(); }
    void clearEchoesPendingMarksPerProvider()
    {
        QFETCH(Id, id);
        const provider::Profile &p = provider::profile(id);
        const provider::StartParams sp = p.withIds({});
        qint64 seq = 0;
        QList<Msg> msgs;
        for (const provider::WireMessage &w : p.encodeHandshake(sp, &seq))
            msgs.append({kT0, capture::Dir::In, w});
        const MediaFormat f = p.outboundFormat();
        const int frames = 2000 / f.frameMs; // 2 s of audio at once: the mark waits behind it
        for (int i = 0; i < frames; ++i)
            msgs.append({kT0 + 100'000 + i, capture::Dir::Out, p.encodeMedia(sp.streamId, tone(f, f.frameMs, 0))});
        msgs.append({kT0 + 100'000 + frames, capture::Dir::Out, p.encodeMark(sp.streamId, QStringLiteral("m"))});
        msgs.append({kT0 + 500'000, capture::Dir::Out, p.encodeClear(sp.streamId)});
        const LoadResult r = load(asCapture(msgs));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, id);
        const Analysis a = analyze(r.call);
        QCOMPARE(a.clears, 1);
        QCOMPARE(a.marksSent, 1);
        QCOMPARE(a.marksEchoed, p.clearEchoesPendingMarks() ? 1 : 0);
    }

    // Vonage buffers at most 3072 messages: a bot that sends 3082 frames at once loses the last
    // 10, reported once with the provider's media-discarded code (replay's buffer model).
    void providerMessageLimitDiscardsMedia()
    {
        const provider::Profile &p = provider::profile(Id::Vonage);
        const qint64 limit = p.limits().maxBufferedMessages;
        QVERIFY(limit > 0);
        QList<Msg> msgs;
        const provider::StartParams sp = p.withIds({});
        qint64 seq = 0;
        for (const provider::WireMessage &w : p.encodeHandshake(sp, &seq))
            msgs.append({kT0, capture::Dir::In, w});
        const QByteArray frame = tone(p.outboundFormat(), p.outboundFormat().frameMs, 0);
        for (qint64 i = 0; i < limit + 10; ++i)
            msgs.append({kT0 + 100'000 + i, capture::Dir::Out, p.encodeMedia(sp.streamId, frame)});
        const LoadResult r = load(asCapture(msgs));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, Id::Vonage);
        const Analysis a = analyze(r.call);
        QCOMPARE(a.mediaDiscardedFrames, qint64(10));
        QCOMPARE(a.violationCount, 1);
        QCOMPARE(a.violations.first().code, p.codeFor(provider::Fault::MediaDiscarded));
        QVERIFY2(a.violations.first().message.contains(QStringLiteral("%1 messages already buffered at Vonage").arg(limit)),
                 qPrintable(a.violations.first().message));
        QCOMPARE(a.stats.frames, limit);
    }

    // A message the provider refuses becomes a violation with the profile's code and a message
    // naming the line: invalid JSON for every provider, plus each protocol's own fault (binary
    // audio where text is wanted; Exotel's chunk that is not a multiple of 320 B).
    void malformedMessageGetsTheProfilesCode_data() { addProviderRows(); }
    void malformedMessageGetsTheProfilesCode()
    {
        QFETCH(Id, id);
        const provider::Profile &p = provider::profile(id);
        QList<Msg> msgs = synthCall(id, Pace::Paced, 1);
        const qint64 tBad = kT0 + 100'000 + 10 * p.outboundFormat().frameUs() + 5;
        const provider::WireMessage invalidJson{QByteArray("{\"event\":\"media\",\"media\":"), false};
        QList<provider::WireMessage> bad{invalidJson};
        if (!p.outboundAudioIsBinary())
            bad.append({p.outboundFormat().silenceFrame(), true});
        if (p.limits().audioSizeMultiple > 0) {
            const provider::StartParams sp = p.withIds({});
            bad.append(p.encodeMedia(sp.streamId, p.outboundFormat().silence(p.limits().audioSizeMultiple / 2 + 1)));
        }
        for (const provider::WireMessage &w : bad)
            QVERIFY2(!p.parseFromBot(w.data, w.binary).ok(), qPrintable(QString::fromLatin1(w.data.left(60))));
        for (int i = 0; i < bad.size(); ++i)
            msgs.append({tBad + i, capture::Dir::Out, bad[i]});
        std::stable_sort(msgs.begin(), msgs.end(), [](const Msg &a, const Msg &b) { return a.tUs < b.tUs; });
        const LoadResult r = load(asCapture(msgs));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(provider::name(r.call.provider), provider::name(id));
        const Analysis a = analyze(r.call);
        QCOMPARE(a.violationCount, int(bad.size()));
        for (int i = 0; i < bad.size(); ++i) {
            QCOMPARE(a.violations[i].code, expectedCode(p, bad[i]));
            QVERIFY(!a.violations[i].message.isEmpty());
        }
        QCOMPARE(a.violations[0].code, p.codeFor(provider::Fault::InvalidMessage));
        QVERIFY2(a.violations[0].message.startsWith(QStringLiteral("line ")), qPrintable(a.violations[0].message));
        if (id == Id::Twilio)
            QCOMPARE(a.violations[0].code, 31951);
        QVERIFY(a.problems);
        QVERIFY2(a.verdicts.join('\n').contains(QStringLiteral("%1 would reject").arg(p.displayName().section(' ', 0, 0))),
                 qPrintable(a.toText()));
    }

    // Two recordings joined: read as the first provider (detection looks at the start), the other
    // provider's messages named in a note and counted as invalid, no crash.
    void dumpMixingTwoProviders()
    {
        int pairs = 0;
        for (Id second : provider::allIds()) {
            if (second == Id::Twilio)
                continue;
            const provider::Profile &p2 = provider::profile(second);
            QList<Msg> msgs = synthCall(Id::Twilio, Pace::Paced, 1);
            QList<Msg> tail = synthCall(second, Pace::Paced, 1);
            int foreignOut = 0;
            for (Msg &m : tail) {
                m.tUs += 2'000'000;
                if (m.dir == capture::Dir::Out && !provider::profile(Id::Twilio).parseFromBot(m.w.data, m.w.binary).ok()
                    && p2.recognize(m.w.data, m.w.binary) >= 50)
                    ++foreignOut;
            }
            if (foreignOut == 0)
                continue; // this provider's messages read as Twilio's, or it does not recognise them
            ++pairs;
            msgs += tail;
            const LoadResult r = load(asDump(msgs));
            QVERIFY2(r.ok, qPrintable(r.error));
            QCOMPARE(r.call.provider, Id::Twilio);
            QVERIFY2(r.call.foreignMessages.value(second) >= foreignOut, qPrintable(r.call.notes.join('\n')));
            QVERIFY2(r.call.notes.join('\n').contains(QStringLiteral("mixes providers")), qPrintable(r.call.notes.join('\n')));
            QVERIFY2(r.call.notes.join('\n').contains(p2.displayName()), qPrintable(r.call.notes.join('\n')));
            const Analysis a = analyze(r.call);
            QVERIFY(a.violationCount >= foreignOut);
            QVERIFY(a.problems);
        }
        QVERIFY2(pairs >= 1, "no provider's outbound messages are told apart from Twilio's");
    }

    void unrecognisedMessagesAreReadAsTwilio()
    {
        QByteArray dump;
        for (int i = 0; i < 30; ++i)
            dump += QStringLiteral("{\"t_us\":%1,\"dir\":\"out\",\"event\":\"hello\",\"n\":%2}\n").arg(kT0 + i * 20000).arg(i).toUtf8();
        const LoadResult r = load(dump);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, Id::Twilio);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Assumed);
        QVERIFY2(r.call.providerReason.contains(QStringLiteral("Twilio assumed")), qPrintable(r.call.providerReason));
        QVERIFY2(r.call.notes.join('\n').contains(QStringLiteral("not recognised as any provider's")), qPrintable(r.call.notes.join('\n')));
        const Analysis a = analyze(r.call);
        QCOMPARE(a.violationCount, 30); // unknown event, each with Twilio's code
        QCOMPARE(a.violationsByCode.value(31951), 30);
    }

    // Bare binary frames name no provider (Vonage's profile leans towards them only weakly): read
    // as Twilio's with a note that suggests --provider vonage, which then reads them cleanly.
    void bareBinaryFramesNeedTheProvider()
    {
        QList<Msg> frames;
        for (const Msg &m : synthCall(Id::Vonage, Pace::Paced, 1))
            if (m.w.binary)
                frames.append(m);
        QVERIFY(frames.size() >= 50);
        LoadResult r = load(asDump(frames));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, Id::Twilio);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Assumed);
        QVERIFY2(r.call.notes.join('\n').contains(QStringLiteral("--provider vonage")), qPrintable(r.call.notes.join('\n')));
        QVERIFY(analyze(r.call).violationsByCode.value(31950) >= 50); // binary audio is 31950 at Twilio
        LoadOptions opt;
        opt.provider = Id::Vonage;
        r = load(asDump(frames), opt);
        const Analysis a = analyze(r.call);
        QCOMPARE(a.violationCount, 0);
        QCOMPARE(a.stats.audioMs, 1000.0);
    }

    // --provider (LoadOptions::provider) beats the capture header, which beats detection; an
    // unknown name in the header is noted and ignored.
    void providerChoiceOrder()
    {
        const QList<Msg> telnyx = synthCall(Id::Telnyx, Pace::Paced, 1);
        LoadOptions opt;
        opt.provider = Id::Telnyx;
        LoadResult r = load(asDump(telnyx), opt);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, Id::Telnyx);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Option);
        QCOMPARE(analyze(r.call).violationCount, 0);

        // The header says Plivo: the header wins over the messages, which then fail Plivo's parse.
        r = load(asCapture(telnyx, QStringLiteral("plivo")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.provider, Id::Plivo);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Header);
        QVERIFY2(r.call.providerReason.contains(QStringLiteral("telnyx")), qPrintable(r.call.providerReason));
        QVERIFY(analyze(r.call).violationCount > 0);

        // --provider over the header.
        r = load(asCapture(telnyx, QStringLiteral("plivo")), opt);
        QCOMPARE(r.call.provider, Id::Telnyx);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Option);
        QVERIFY2(r.call.providerReason.contains(QStringLiteral("plivo")), qPrintable(r.call.providerReason));
        QCOMPARE(analyze(r.call).violationCount, 0);

        // --provider twilio on a Telnyx dump: read as Twilio, says what the messages look like.
        opt.provider = Id::Twilio;
        r = load(asDump(telnyx), opt);
        QCOMPARE(r.call.provider, Id::Twilio);
        QVERIFY2(r.call.providerReason.contains(QStringLiteral("telnyx")), qPrintable(r.call.providerReason));

        r = load(asCapture(telnyx, QStringLiteral("acme")));
        QCOMPARE(r.call.provider, Id::Telnyx);
        QCOMPARE(r.call.providerFrom, LoadedCall::ProviderFrom::Detected);
        QVERIFY2(r.call.notes.join('\n').contains(QStringLiteral("unknown provider 'acme'")), qPrintable(r.call.notes.join('\n')));
    }

    // Binary frames in a dump need their bytes and a direction; a clear message otherwise.
    void dumpBinaryFrameErrors()
    {
        const QList<Msg> vonage = synthCall(Id::Vonage, Pace::Paced, 1);
        QByteArray dump = asDump(vonage);
        dump += "{\"t_us\":7002000000,\"kind\":\"binary\",\"data\":\"AAAA\"}\n";
        dump += "{\"t_us\":7002000001,\"dir\":\"out\",\"binary\":true,\"data\":\"not base64!\"}\n";
        dump += "{\"t_us\":7002000002,\"dir\":\"out\",\"opcode\":2}\n";
        const LoadResult r = load(dump);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.call.errorCount, qint64(3));
        QVERIFY2(r.call.errors[0].message.contains(QStringLiteral("without a direction")), qPrintable(r.call.errors[0].message));
        QVERIFY2(r.call.errors[1].message.contains(QStringLiteral("not valid base64")), qPrintable(r.call.errors[1].message));
        QVERIFY2(r.call.errors[2].message.contains(QStringLiteral("without its bytes")), qPrintable(r.call.errors[2].message));
        QCOMPARE(r.call.provider, Id::Vonage);
    }

    // WAV export per format: mu-law as recorded at 8 kHz; Vonage's L16 as PCM16 at 16 kHz.
    void exportPerFormat_data() { addProviderRows(); }
    void exportPerFormat()
    {
        QFETCH(Id, id);
        const provider::Profile &p = provider::profile(id);
        const LoadResult r = load(asCapture(synthCall(id, Pace::Paced, 1)));
        QVERIFY2(r.ok, qPrintable(r.error));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("out.wav"));
        QString err;
        QVERIFY2(exportWav(r.call, capture::Dir::Out, path, wav::Encoding::Mulaw, &err), qPrintable(err));
        const wav::ReadResult w = wav::readFile(path);
        QVERIFY2(w.ok, qPrintable(w.error));
        const MediaFormat f = p.outboundFormat();
        QCOMPARE(w.info.sampleRate, f.sampleRate);
        QCOMPARE(w.info.encoding, f.encoding == MediaFormat::Encoding::Mulaw ? wav::Encoding::Mulaw
                                 : f.encoding == MediaFormat::Encoding::Alaw ? wav::Encoding::Alaw
                                                                             : wav::Encoding::Pcm16);
        QCOMPARE(w.pcm.samples, nativePcmAudio(r.call, capture::Dir::Out).samples);
        QCOMPARE(w.pcm.durationSec(), 1.0);
        if (id == Id::Vonage) {
            QCOMPARE(w.info.sampleRate, 16000);
            QCOMPARE(w.info.encoding, wav::Encoding::Pcm16);
        }
        // Re-sent in the provider's frames: whole frames of its size, the same duration.
        int padded = -1;
        const QList<QByteArray> frames = framesForResend(r.call, f, &padded);
        QCOMPARE(padded, 0);
        QCOMPARE(frames.size(), qsizetype(1000 / f.frameMs));
        QCOMPARE(frames.first().size(), qsizetype(f.frameBytes()));
        QCOMPARE(framesForResend(r.call).size(), qsizetype(50)); // 8 kHz mu-law, 20 ms
    }

    // The session writes its provider into the capture header (core/session/Session.cpp).
    void sessionCaptureNamesItsProvider()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.jsonl"));
        {
            SessionConfig cfg;
            cfg.setProvider(Id::Plivo);
            cfg.capturePath = path;
            QString error;
            const std::unique_ptr<Session> s = Session::create(cfg, &error);
            QVERIFY2(s, qPrintable(error));
            s->closeCapture(&error);
        }
        capture::CaptureReader reader;
        QVERIFY2(reader.open(path), qPrintable(reader.fatalError()));
        QCOMPARE(reader.header().value(QLatin1String(capture::kProviderField)).toString(), QStringLiteral("plivo"));
    }

    // Vonage over the wire: binary frames in a pcap, through tshark, keep their binary flag.
    void vonagePcapThroughTshark()
    {
        if (pcap::findTshark().isEmpty())
            QSKIP("tshark is not installed (Debian package tshark; scripts/deps.sh installs it)");
        const LoadResult r = loadCall(QStringLiteral(PACELAB_TEST_DATA_DIR "/replay/providers/vonage-call.pcap"));
        QVERIFY2(r.ok, qPrintable(r.error));
        const LoadedCall &c = r.call;
        QCOMPARE(c.source, LoadedCall::Source::Pcap);
        QCOMPARE(c.provider, Id::Vonage);
        QCOMPARE(c.providerFrom, LoadedCall::ProviderFrom::Detected);
        QCOMPARE(c.inMessages, qint64(26));  // websocket:connected + 25 frames
        QCOMPARE(c.outMessages, qint64(72)); // 71 frames + clear
        QCOMPARE(c.inFormat.sampleRate, 16000);
        QCOMPARE(c.inAudio.size(), qsizetype(25 * 640));
        QCOMPARE(c.outAudio.size(), qsizetype(71 * 640));
        QCOMPARE(c.outAudioSec(), 1.42);
        const Analysis a = analyze(c);
        QCOMPARE(a.stats.frames, qint64(71));
        QCOMPARE(a.stats.audioMs, 1420.0);
        QCOMPARE(a.clears, 1);
        QCOMPARE(a.violationCount, 0);
        QVERIFY2(a.stats.burstCount >= 1, qPrintable(a.toText())); // 20 frames in one segment
        QCOMPARE(a.stats.sizeHistogram.value(640), qint64(71));
    }

    void commandLine()
    {
        const QString bin = QStringLiteral(PACELAB_BINARY);
        if (!QFile::exists(bin))
            QSKIP("pacelab binary not built");
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("telnyx.jsonl")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(asDump(synthCall(Id::Telnyx, Pace::Paced, 1)));
        f.close();
        auto run = [&](const QStringList &args) {
            QProcess p;
            p.start(bin, QStringList{QStringLiteral("replay"), f.fileName(), QStringLiteral("--quiet")} + args);
            p.waitForFinished(60000);
            return qMakePair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
        };
        const QString json = dir.filePath(QStringLiteral("r.json"));
        auto res = run({QStringLiteral("--json"), json});
        QVERIFY2(res.second.contains(QStringLiteral("Provider: %1 (detected").arg(provider::profile(Id::Telnyx).displayName())), qPrintable(res.second));
        QCOMPARE(res.first, 0);
        QFile jf(json);
        QVERIFY(jf.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(jf.readAll()).object().value(QStringLiteral("provider")).toObject().value(QStringLiteral("name")).toString(),
                 QStringLiteral("telnyx"));
        res = run({QStringLiteral("--provider"), QStringLiteral("plivo")});
        QVERIFY2(res.second.contains(QStringLiteral("chosen with --provider")), qPrintable(res.second));
        QCOMPARE(res.first, 1); // Telnyx messages are not Plivo's
        res = run({QStringLiteral("--provider"), QStringLiteral("acme")});
        QCOMPARE(res.first, 2);
        QVERIFY2(res.second.contains(QStringLiteral("unknown provider 'acme'")), qPrintable(res.second));
    }
};

QTEST_GUILESS_MAIN(TestReplayProviders)
#include "tst_replay_providers.moc"
