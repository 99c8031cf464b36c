// EmulatedCall, the per-call unit of the emulator (one Twilio call's protocol state and judgement,
// no socket, no timer), on simulated time: the inbound grid, what it answers, validation codes,
// mark echoes after playout, barge-in and clear latency, and the CallResult a load run takes
// from it. Every time here is chosen by the test, so every figure is exact on any machine.
#include "audio/G711.h"
#include "emulator/EmulatedCall.h"
#include "load/CallMetrics.h"
#include "twilio/TwilioMessages.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace pacelab;

namespace {

constexpr qint64 kT0 = 5'000'000; // session start on the simulated steady clock

struct Recorder final : EmulatedCall::Events
{
    struct Sent
    {
        qint64 atUs;
        QJsonObject json;
    };
    qint64 *clock = nullptr;
    QList<Sent> sent;
    QList<Violation> violations;
    QList<PerSecondRx> seconds;
    QList<BargeInResult> probes;

    void sendToBot(const QByteArray &json) override { sent.append({*clock, QJsonDocument::fromJson(json).object()}); }
    void violation(const Violation &v) override { violations.append(v); }
    void secondTick(const PerSecondRx &rx) override { seconds.append(rx); }
    void bargeInFinished(const BargeInResult &r) override { probes.append(r); }

    QList<Sent> events(const QString &name) const
    {
        QList<Sent> out;
        for (const Sent &s : sent)
            if (s.json.value(QStringLiteral("event")).toString() == name)
                out.append(s);
        return out;
    }
};

} // namespace

class TestEmulatedCall final : public QObject
{
    Q_OBJECT

    qint64 m_now = 0;
    Recorder m_rec;
    std::unique_ptr<EmulatedCall> m_call;

    void startCall(EmulatorOptions o = EmulatorOptions(), qint64 firstFrameUs = -1)
    {
        m_now = kT0;
        m_rec = Recorder();
        m_rec.clock = &m_now;
        m_call = std::make_unique<EmulatedCall>(&m_rec);
        if (o.streamSid.isEmpty())
            o.streamSid = QStringLiteral("MZ00000000000000000000000000000001");
        m_call->start(o, m_now, firstFrameUs);
    }
    void at(qint64 t)
    {
        m_now = t;
        m_call->advance(t);
    }
    void botSays(qint64 t, const QByteArray &json)
    {
        m_now = t;
        m_call->onText(t, QString::fromUtf8(json));
    }
    void botMedia(qint64 t, const QByteArray &mulaw = QByteArray(160, char(0xff)))
    {
        botSays(t, twilio::encodeMedia(m_call->streamSid(), mulaw));
    }

private Q_SLOTS:
    void startSendsConnectedThenStart()
    {
        EmulatorOptions o;
        o.callSid = QStringLiteral("CA0123456789abcdef0123456789abcdef");
        startCall(o);
        QCOMPARE(m_rec.sent.size(), 2);
        QCOMPARE(m_rec.sent[0].json.value("event").toString(), QStringLiteral("connected"));
        const QJsonObject start = m_rec.sent[1].json;
        QCOMPARE(start.value("event").toString(), QStringLiteral("start"));
        QCOMPARE(start.value("streamSid").toString(), m_call->streamSid());
        QCOMPARE(start.value("start").toObject().value("callSid").toString(), o.callSid);
        QVERIFY(m_call->isActive());
    }

    void inboundFramesOnTheGrid()
    {
        // Aligned to a grid 7 ms after the start: frames at +7, +27, +47 ... ms whatever the
        // moments advance() is called.
        startCall(EmulatorOptions(), kT0 + 7'000);
        at(kT0 + 5'000);
        QCOMPARE(m_rec.events("media").size(), 0);
        at(kT0 + 7'000);
        QCOMPARE(m_rec.events("media").size(), 1);
        at(kT0 + 46'999);
        QCOMPARE(m_rec.events("media").size(), 2);
        at(kT0 + 90'000); // a late wake (< 100 ms) catches up
        const QList<Recorder::Sent> media = m_rec.events("media");
        QCOMPARE(media.size(), 5);
        for (int i = 0; i < media.size(); ++i) {
            const QJsonObject m = media[i].json.value("media").toObject();
            QCOMPARE(m.value("chunk").toString(), QString::number(i + 1));
            QCOMPARE(m.value("timestamp").toString(), QString::number(7 + 20 * i));
            QCOMPARE(QByteArray::fromBase64(m.value("payload").toString().toLatin1()).size(), 160);
        }
        // A stall past 100 ms skips the missed slots instead of bursting them.
        at(kT0 + 600'000);
        QCOMPARE(m_rec.events("media").size(), 6);
        QCOMPARE(m_call->inboundFramesSent(), 6);
        QVERIFY(m_call->nextDeadlineUs() > m_now);
        QVERIFY(m_call->nextDeadlineUs() <= m_now + 20'000);
    }

    void wellPacedBotSecondsAndMetrics()
    {
        startCall();
        for (int i = 0; i < 250; ++i) { // 5 s of audio from t0 + 100 ms, exactly paced
            at(kT0 + 100'000 + i * 20'000);
            botMedia(kT0 + 100'000 + i * 20'000);
        }
        at(kT0 + 5'200'000);
        QCOMPARE(m_rec.seconds.size(), 5);
        QCOMPARE(m_rec.seconds[1].fps, 50);
        QCOMPARE(m_rec.seconds[3].fps, 50);
        QCOMPARE(m_call->violationCount(), 0);
        QCOMPARE(m_call->playout().underrunCount(), 0);

        CallResult r;
        fillCallMetrics(*m_call, ProbeTally(), m_now, &r);
        QCOMPARE(r.frames, qint64(250));
        QCOMPARE(r.audioSec, 5.0);
        QCOMPARE(r.firstAudioMs, 100.0);
        QCOMPARE(r.fpsP1, 50.0); // whole seconds 1..4 only
        QCOMPARE(r.fpsMin, 50.0);
        QCOMPARE(r.jitterMs, 0.0);
        QCOMPARE(r.underruns, 0);
        QVERIFY(r.maxBufferedSec < 0.1);
        QCOMPARE(r.durationSec, 5.2);
    }

    void slowBotUnderrunsAndLowFps()
    {
        startCall();
        for (int i = 0; i < 100; ++i) { // a frame every 40 ms: half real time
            at(kT0 + i * 40'000);
            botMedia(kT0 + i * 40'000);
        }
        at(kT0 + 4'000'000);
        CallResult r;
        fillCallMetrics(*m_call, ProbeTally(), m_now, &r);
        QCOMPARE(r.fpsP50, 25.0);
        QVERIFY2(r.underruns > 10, qPrintable(QString::number(r.underruns)));
    }

    void validationCodes()
    {
        startCall();
        botSays(kT0 + 1000, "{not json");
        m_now = kT0 + 2000;
        m_call->onBinary(m_now, QByteArray(320, '\0'));
        botSays(kT0 + 3000, twilio::encodeMedia(QStringLiteral("MZ99999999999999999999999999999999"), QByteArray(160, char(0xff))));
        botSays(kT0 + 4000, R"({"event":"dance","streamSid":"x"})");
        QCOMPARE(m_rec.violations.size(), 4);
        QCOMPARE(m_rec.violations[0].code, int(twilio::InvalidMessage));
        QCOMPARE(m_rec.violations[1].code, 31950);
        QCOMPARE(m_rec.violations[2].code, int(twilio::InvalidMessage));
        QVERIFY(m_rec.violations[2].message.contains(QStringLiteral("streamSid")));
        QCOMPARE(m_rec.violations[3].code, int(twilio::InvalidMessage));
        QCOMPARE(m_call->violationCount(), 4);
        QCOMPARE(m_call->messagesReceived(), qint64(4));
        CallResult r;
        fillCallMetrics(*m_call, ProbeTally(), m_now, &r);
        QCOMPARE(r.violations, 4);
        QVERIFY(r.firstViolation.startsWith(QStringLiteral("31951")));
    }

    void markEchoedAfterPlayout()
    {
        startCall();
        // 1 s of audio at once, then a mark: echoed when that second has played (after the
        // 40 ms jitter buffer), not when it arrived.
        for (int i = 0; i < 50; ++i)
            botMedia(kT0 + 10'000);
        botSays(kT0 + 10'000, twilio::encodeMark(m_call->streamSid(), QStringLiteral("end-of-greeting")));
        at(kT0 + 1'000'000);
        QCOMPARE(m_rec.events("mark").size(), 0);
        QVERIFY(m_call->nextDeadlineUs() <= kT0 + 10'000 + 40'000 + 1'000'000); // a driver wakes for it
        at(kT0 + 10'000 + 40'000 + 1'000'000);
        const QList<Recorder::Sent> echoes = m_rec.events("mark");
        QCOMPARE(echoes.size(), 1);
        QCOMPARE(echoes[0].json.value("mark").toObject().value("name").toString(), QStringLiteral("end-of-greeting"));
        QCOMPARE(m_call->marksEchoedInOrder(), QStringList{QStringLiteral("end-of-greeting")});
        CallResult r;
        fillCallMetrics(*m_call, ProbeTally(), m_now, &r);
        QCOMPARE(r.marksSent, 1);
        QCOMPARE(r.marksEchoed, 1);
        QCOMPARE(r.maxBufferedSec, 1.0);
    }

    void bargeInClearLatency()
    {
        startCall();
        // The bot talks: paced frames with 0.5 s buffered ahead.
        for (int i = 0; i < 25; ++i)
            botMedia(kT0);
        qint64 t = kT0;
        for (int i = 0; i < 50; ++i, t += 20'000) {
            at(t);
            botMedia(t);
        }
        // Probe now; caller speech starts with the next inbound frame (on the grid).
        QString error;
        PcmBuffer speech;
        speech.samples = signal::sine(kTwilioRate, 0.5, 440.0, -10.0);
        QVERIFY2(m_call->startBargeIn(t, speech, 1000, &error), qPrintable(error));
        QVERIFY(m_call->bargeInActive());
        at(t); // the speech frame goes out at t
        const qint64 speechStart = t;
        // The bot clears 180 ms later and stops sending.
        at(speechStart + 180'000);
        botSays(speechStart + 180'000, twilio::encodeClear(m_call->streamSid()));
        at(speechStart + 400'000);
        QCOMPARE(m_rec.probes.size(), 1);
        const BargeInResult b = m_rec.probes.first();
        QVERIFY(b.botWasTalking);
        QVERIFY(b.clearReceived);
        QCOMPARE(b.clearLatencyMs, 180.0);
        QVERIFY(b.audioStopped);
        QCOMPARE(b.audioStoppedLatencyMs, 180.0);
        QVERIFY(!m_call->bargeInActive());
        ProbeTally tally;
        tally.add(b);
        CallResult r;
        fillCallMetrics(*m_call, tally, m_now, &r);
        QCOMPARE(r.bargeIns, 1);
        QCOMPARE(r.clears, 1);
        QCOMPARE(r.clearLatencyMsMax, 180.0);
    }

    void bargeInWithoutClear()
    {
        startCall();
        qint64 t = kT0;
        for (int i = 0; i < 25; ++i, t += 20'000) {
            at(t);
            botMedia(t);
        }
        QString error;
        PcmBuffer speech;
        speech.samples = signal::sine(kTwilioRate, 0.2, 440.0, -10.0);
        QVERIFY(m_call->startBargeIn(t, speech, 300, &error));
        for (int i = 0; i < 40; ++i, t += 20'000) { // the bot keeps talking
            at(t);
            botMedia(t);
        }
        QCOMPARE(m_rec.probes.size(), 1);
        QVERIFY(!m_rec.probes.first().clearReceived);
        QVERIFY(m_rec.probes.first().verdict.contains(QStringLiteral("no clear")));
        ProbeTally tally;
        tally.add(m_rec.probes.first());
        QCOMPARE(tally.sent, 1);
        QCOMPARE(tally.cleared, 0);
        QCOMPARE(tally.clearLatencyMsMax, -1.0);
    }

    void dtmfStopAndEnd()
    {
        startCall();
        QVERIFY(m_call->sendDtmf(QStringLiteral("5")));
        QVERIFY(!m_call->sendDtmf(QStringLiteral("x")));
        QVERIFY(m_call->sendStop());
        QVERIFY(!m_call->sendStop());
        at(kT0 + 100'000);
        QCOMPARE(m_rec.events("media").size(), 0); // nothing after stop
        QCOMPARE(m_rec.events("dtmf").size(), 1);
        QCOMPARE(m_rec.events("stop").size(), 1);
        m_call->end(kT0 + 2'500'000, QStringLiteral("test over"));
        QVERIFY(!m_call->isActive());
        QCOMPARE(m_call->endReason(), QStringLiteral("test over"));
        QCOMPARE(m_call->sessionSeconds(kT0 + 9'000'000), 2.5);
        QCOMPARE(m_rec.seconds.size(), 2); // seconds are closed up to the end
        QVERIFY(!m_call->sendDtmf(QStringLiteral("1")));
        botMedia(kT0 + 2'600'000); // ignored after the end
        QCOMPARE(m_call->stats().frames, qint64(0));
    }

    void percentiles()
    {
        QCOMPARE(percentileOf({}, 50), 0.0);
        QCOMPARE(percentileOf({3, 1, 2}, 50), 2.0);
        QCOMPARE(percentileOf({50, 50, 50, 12}, 1), 12.0);
        QCOMPARE(percentileOf({1, 2, 3, 4}, 100), 4.0);
    }
};

QTEST_GUILESS_MAIN(TestEmulatedCall)
#include "tst_emulatedcall.moc"
