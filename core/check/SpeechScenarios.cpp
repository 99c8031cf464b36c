// E2 (long TTS) and E3 (an emulated call): the end-to-end checks with real speech.
#include "Scenarios.h"

#include "ReferenceBot.h"
#include "SpeechTexts.h"

#include "audio/AudioFormat.h"
#include "ProfileAudio.h"

#include <QJsonArray>

#include <chrono>
#include <cmath>

namespace pacelab::check {

namespace {

using Clock = std::chrono::steady_clock;

// ================================================================================================
// E2 long TTS
class E2LongTts final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        if (!ctx().speech)
            return finishError(QStringLiteral("no text-to-speech engine was provided (E2 needs espeak-ng)"));
        m_synth = ctx().speech();
        QString error;
        if (!m_synth || !m_synth->initialize(&error))
            return finishError(QStringLiteral("text-to-speech unavailable: %1").arg(error));
        openSender(senderConfig(), [this] { onStreaming(); });
    }

private:
    struct Outcome
    {
        double speechSec = 0.0;
        double wallSec = 0.0;
        double blockedSec = 0.0;
        int sentences = 0;
        QString error;
    };

    void onStreaming()
    {
        markAudioStart();
        SenderEngine *eng = engine();
        SpeechSynth *synth = m_synth.get();
        const double minSec = dur().e2MinSpeechSec;
        const bool blocking = !cfg().broken.ignoreBackPressure;
        const int bytes = cfg().broken.frameBytes;
        const MediaFormat fmt = provider::profile(cfg().provider).outboundFormat();
        runProducer([this, eng, synth, minSec, blocking, bytes, fmt](const std::atomic<bool> &stop) {
            Outcome out;
            // Frames of the provider's outbound format (20 ms of 8 kHz mu-law for Twilio).
            FormatFramer framer(synth->sampleRate(), fmt);
            const auto t0 = Clock::now();
            qint64 frames = 0;
            Clock::duration blocked{};
            QByteArray half;
            auto push = [&](const QByteArray &f) -> bool {
                if (stop)
                    return false;
                QByteArray frame = f;
                if (bytes > kFrameBytes) { // broken twin: two frames glued together
                    if (half.isEmpty()) {
                        half = f;
                        return true;
                    }
                    frame = half + f;
                    half.clear();
                }
                const auto b0 = Clock::now();
                const bool ok = eng->enqueueFrame(frame, blocking);
                blocked += Clock::now() - b0;
                frames += frame.size() / fmt.frameBytes();
                return ok;
            };
            const double frameSec = fmt.frameMs / 1000.0;
            const QStringList text = longSpeechSentences();
            // Sentence by sentence, as a streaming TTS pipeline would, until enough speech.
            for (int i = 0; frames * frameSec < minSec && !stop; ++i) {
                QString why;
                const bool ok = synth->synthesizeStreaming(text[i % text.size()], [&](const qint16 *s, int n) {
                    for (const QByteArray &f : framer.push(s, n))
                        if (!push(f))
                            return false;
                    return true;
                }, &why);
                if (stop)
                    return;
                if (!ok) {
                    out.error = why;
                    break;
                }
                ++out.sentences;
            }
            for (const QByteArray &f : framer.flush())
                push(f);
            out.speechSec = frames * frameSec;
            out.wallSec = std::chrono::duration<double>(Clock::now() - t0).count();
            out.blockedSec = std::chrono::duration<double>(blocked).count();
            post([this, out] {
                m_outcome = out;
                if (!out.error.isEmpty())
                    return finishError(QStringLiteral("text-to-speech failed after %1 s of speech: %2")
                                           .arg(out.speechSec, 0, 'f', 1).arg(out.error));
                waitDrained(15, [this] { judge(); }, true);
            });
        });
    }

    void judge()
    {
        E2Observation o;
        o.minSpeechSec = dur().e2MinSpeechSec;
        o.speechSec = m_outcome.speechSec;
        o.wallSec = m_outcome.wallSec;
        o.blockedSec = m_outcome.blockedSec;
        o.sentences = m_outcome.sentences;
        o.txFps = activeTxFps();
        o.rxFps = activeRxFps();
        const SenderConfig &c = engine()->config();
        o.highWater = c.queueCapacity > 0 ? (c.highWater > 0 ? c.highWater : c.queueCapacity) : th().queueCapacity;
        for (const TxSecond &s : std::as_const(m_tx))
            o.queuePeak = std::max(o.queuePeak, s.queueMax);
        o.drops = engine()->queue()->totalDrops();
        if (hasEmulator())
            o.peer = peerObservation();
        judgeE2(o, th(), judgement());
        addStandardFigures();
        finish();
    }

    std::unique_ptr<SpeechSynth> m_synth;
    Outcome m_outcome;
};

// ================================================================================================
// E3 call
class E3Call final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        if (!ctx().speech)
            return finishError(QStringLiteral("no text-to-speech engine was provided (E3 needs espeak-ng)"));
        BotOptions bo;
        bo.provider = cfg().provider;
        bo.sender = botSenderConfig();
        // Conversational latency: the bot keeps only 160 ms (8 frames of 20 ms, one of 100 ms) queued ahead of the clock,
        // enough to cover espeak's start-up on each sentence.
        if (bo.sender.queueCapacity > 0)
            bo.sender.highWater = std::min(std::max(1, 160 / format().frameMs), bo.sender.queueCapacity);
        bo.neverClears = cfg().broken.botNeverClears;
        bo.ignoreBackPressure = cfg().broken.ignoreBackPressure;
        bo.frameBytes = cfg().broken.frameBytes;
        bo.greeting = greetingSentences();
        bo.reply = replySentences();
        m_bot = new ReferenceBot(bo, ctx().speech, this);
        QString error;
        if (!m_bot->prepare(&error))
            return finishError(error);
        connect(m_bot, &ReferenceBot::failed, this, [this](const QString &why) { finishError(why); });
        connect(m_bot, &ReferenceBot::logMessage, this, [this](const QString &l, const QString &t) { log(t, l); });
        connect(m_bot, &ReferenceBot::turnStarted, this, [this](int turn) {
            if (turn == 0 && hasEmulator())
                after(std::min(3.0, dur().e3Sec / 4), [this] { bargeIn(); });
        });
        connect(m_bot, &ReferenceBot::turnFinished, this, [this](int turn) {
            if (turn >= 1)
                after(1.0, [this] { judge(); });
        });
        attachEngine(m_bot->engine(), [this] {
            m_streamingAt = elapsedSec();
            after(dur().e3Sec, [this] { judge(); });
        });

        // The caller's words, synthesized up front.
        if (cfg().mode == TargetMode::Embedded) {
            auto synth = ctx().speech();
            if (!synth || !synth->initialize(&error))
                return finishError(QStringLiteral("text-to-speech unavailable: %1").arg(error));
            m_callerSpeech.sampleRate = synth->sampleRate();
            const bool ok = synth->synthesizeStreaming(callerBargeInText(), [this](const qint16 *s, int n) {
                m_callerSpeech.samples.append(QVector<qint16>(s, s + n));
                return true;
            }, &error);
            if (!ok)
                return finishError(QStringLiteral("text-to-speech failed for the caller: %1").arg(error));
        }

        switch (cfg().mode) {
        case TargetMode::Embedded:
        case TargetMode::Bot: {
            EmulatorOptions eo;
            eo.provider = cfg().provider;
            eo.caller = CallerAudio::silence();
            const QUrl url = listenEmulator(eo);
            if (url.isEmpty())
                return;
            m_bot->connectTo(url);
            break;
        }
        case TargetMode::Target:
            m_bot->connectTo(cfg().targetUrl);
            break;
        case TargetMode::Listen:
            log(QStringLiteral("waiting up to %1 s for a call on ws://%2:%3/ (speak over the bot to barge in)")
                    .arg(dur().listenTimeoutSec).arg(cfg().listenAddress.toString()).arg(cfg().listenPort));
            m_bot->listen(cfg().listenAddress, cfg().listenPort);
            break;
        }
        const double timeout = cfg().mode == TargetMode::Listen ? dur().listenTimeoutSec : dur().connectTimeoutSec;
        after(timeout, [this, timeout] {
            if (m_streamingAt < 0)
                finishError(QStringLiteral("no call within %1 s").arg(timeout));
        });
    }

    void stopProducers() override
    {
        delete m_bot; // joins the TTS thread, then the engine
        m_bot = nullptr;
    }

private:
    void bargeIn()
    {
        const PcmBuffer speech = m_callerSpeech;
        if (!onEmulator([speech](TwilioEmulator &e) { return e.startBargeIn(speech, 1500); }).value_or(false))
            log(QStringLiteral("the emulator refused the barge-in probe"), QStringLiteral("warning"));
        else
            m_bargeAtMs = wallMs();
    }

    void judge()
    {
        if (isDone() || m_judged)
            return;
        m_judged = true;
        for (const auto &sp : m_bot->speechSpans())
            addAudioSpan(sp.first, sp.second);
        E3Observation o;
        o.txFps = activeTxFps();
        o.rxFps = activeRxFps();
        for (const TxSecond &s : std::as_const(m_tx))
            o.txQueueMax << s.queueMax;
        o.drops = engine()->queue()->totalDrops();
        if (hasEmulator()) {
            o.bargedIn = m_bargeAtMs != 0;
            o.sinceBargeInSec = m_bargeAtMs ? (wallMs() - m_bargeAtMs) / 1000.0 : 0.0;
            o.peer = peerObservation();
        } else {
            o.bargedIn = m_bot->callerSpeechWallMs() > 0;
            o.clearsSent = m_bot->clearsSent();
            o.clearAfterSpeechMs = m_bot->clearsSent() > 0 ? m_bot->clearWallMs() - m_bot->callerSpeechWallMs() : -1;
            o.neverClearsTwin = cfg().broken.botNeverClears;
        }
        o.speechQueuedSec = m_bot->speechQueuedSec();
        o.turns = int(m_bot->speechSpans().size());
        o.marks = int(m_bot->marksSent().size());
        judgeE3(o, th(), judgement());
        addStandardFigures();
        figure(QStringLiteral("botMarks"), QJsonArray::fromStringList(m_bot->marksSent()));
        finish();
    }

    ReferenceBot *m_bot = nullptr;
    PcmBuffer m_callerSpeech;
    double m_streamingAt = -1;
    qint64 m_bargeAtMs = 0;
    bool m_judged = false;
};

} // namespace

Scenario *createSpeechScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent)
{
    if (info.id == QLatin1String("E2")) return new E2LongTts(info, ctx, parent);
    if (info.id == QLatin1String("E3")) return new E3Call(info, ctx, parent);
    return nullptr;
}

} // namespace pacelab::check
