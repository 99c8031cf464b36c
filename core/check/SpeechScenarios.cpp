// E2 (long TTS) and E3 (an emulated call): the end-to-end checks with real speech.
#include "Scenarios.h"

#include "ReferenceBot.h"
#include "SpeechTexts.h"

#include "audio/Framer.h"

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
        runProducer([this, eng, synth, minSec, blocking, bytes](const std::atomic<bool> &stop) {
            Outcome out;
            Framer framer(synth->sampleRate(), 1);
            const auto t0 = Clock::now();
            qint64 frames = 0;
            Clock::duration blocked{};
            QByteArray half;
            auto push = [&](const QByteArray &f) -> bool {
                if (stop)
                    return false;
                QByteArray frame = f;
                if (bytes == 2 * kFrameBytes) {
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
                frames += frame.size() / kFrameBytes;
                return ok;
            };
            const QStringList text = longSpeechSentences();
            // Sentence by sentence, as a streaming TTS pipeline would, until enough speech.
            for (int i = 0; frames * 0.02 < minSec && !stop; ++i) {
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
            for (const QByteArray &f : framer.flush().frames)
                push(f);
            out.speechSec = frames * 0.02;
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
        const Outcome &o = m_outcome;
        check(QStringLiteral("speech synthesized"), o.speechSec >= dur().e2MinSpeechSec,
              QStringLiteral("%1 s in %2 sentences").arg(o.speechSec, 0, 'f', 1).arg(o.sentences),
              QStringLiteral("≥ %1 s").arg(dur().e2MinSpeechSec, 0, 'f', 0));
        const double synthSec = std::max(1e-3, o.wallSec - o.blockedSec);
        note(QStringLiteral("synthesis speed"), QStringLiteral("%1× real time (%2 s of speech in %3 s of synthesis; %4 s waiting on back-pressure)")
                                                    .arg(o.speechSec / synthSec, 0, 'f', 1)
                                                    .arg(o.speechSec, 0, 'f', 1).arg(synthSec, 0, 'f', 2).arg(o.blockedSec, 0, 'f', 1));
        checkFps(th().fpsTolerance);
        const SenderConfig &c = engine()->config();
        const int high = c.queueCapacity > 0 ? (c.highWater > 0 ? c.highWater : c.queueCapacity) : th().queueCapacity;
        int peak = 0;
        for (const TxSecond &s : std::as_const(m_tx))
            peak = std::max(peak, s.queueMax);
        check(QStringLiteral("tx queue peak"), peak <= high, QString::number(peak),
              QStringLiteral("≤ high-water mark %1").arg(high));
        const quint64 drops = engine()->queue()->totalDrops();
        check(QStringLiteral("drops"), drops == 0, QString::number(drops), QStringLiteral("0"));
        setLimit(QStringLiteral("queueCapacity"), high);
        if (hasEmulator()) {
            const PlayoutModel &p = emulator()->playout();
            const double maxBuf = p.maxBufferedUs() / 1e6;
            setLimit(QStringLiteral("bufferedMaxSec"), th().maxBufferedSec);
            check(QStringLiteral("audio buffered at the peer"), maxBuf < th().maxBufferedSec,
                  QStringLiteral("max %1 s").arg(maxBuf, 0, 'f', 3), QStringLiteral("< %1 s").arg(th().maxBufferedSec));
            check(QStringLiteral("underruns while speech lasts"), p.underrunCount() == 0,
                  p.underrunCount() == 0 ? QStringLiteral("0")
                                         : QStringLiteral("%1 (%2 of silence)").arg(p.underrunCount()).arg(fmtMs(p.underrunTotalUs() / 1000.0, 0)),
                  QStringLiteral("0"));
        }
        addStandardFigures();
        figure(QStringLiteral("speechSec"), o.speechSec);
        figure(QStringLiteral("sentences"), o.sentences);
        figure(QStringLiteral("synthesisSec"), synthSec);
        figure(QStringLiteral("blockedSec"), o.blockedSec);
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
        bo.sender = senderConfig();
        // Conversational latency: the bot keeps only 8 frames (160 ms) queued ahead of the clock,
        // enough to cover espeak's start-up on each sentence.
        if (bo.sender.queueCapacity > 0)
            bo.sender.highWater = std::min(8, bo.sender.queueCapacity);
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
            eo.caller = CallerAudio::silence();
            TwilioEmulator *emu = createEmulator(eo);
            if (!emu->listen(QHostAddress::LocalHost, 0))
                return finishError(QStringLiteral("emulator cannot listen: %1").arg(emu->errorString()));
            m_bot->connectTo(emu->serverUrl());
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
        if (!emulator()->startBargeIn(m_callerSpeech, 1500))
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
        checkFps(th().fpsTolerance, QStringLiteral("while speaking"));
        int seconds = 0, under = 0, peak = 0;
        for (const TxSecond &s : std::as_const(m_tx)) {
            ++seconds;
            under += s.queueMax < th().callDepthLimit ? 1 : 0;
            peak = std::max(peak, s.queueMax);
        }
        const double share = seconds ? double(under) / seconds : 0.0;
        check(QStringLiteral("queue depth"), seconds > 0 && share >= th().callDepthShare,
              QStringLiteral("< %1 in %2 of %3 s (%4), peak %5").arg(th().callDepthLimit).arg(under).arg(seconds).arg(fmtPct(share)).arg(peak),
              QStringLiteral("< %1 in ≥ %2 of seconds").arg(th().callDepthLimit).arg(fmtPct(th().callDepthShare)));
        setLimit(QStringLiteral("queueLimit"), th().callDepthLimit);
        const quint64 drops = engine()->queue()->totalDrops();
        check(QStringLiteral("drops"), drops == 0, QString::number(drops), QStringLiteral("0"));

        if (hasEmulator()) {
            const BargeInResult br = emulator()->bargeIn();
            const QList<ClearEvent> clears = emulator()->playout().clears();
            const QString limit = QStringLiteral("silence ≤ %1 after clear").arg(fmtMs(th().clearToSilenceMs, 0));
            if (m_bargeAtMs == 0) {
                check(QStringLiteral("barge-in"), false, QStringLiteral("the caller never barged in"), QStringLiteral("a barge-in"));
            } else if (clears.isEmpty()) {
                check(QStringLiteral("silence after clear"), false,
                      br.finished ? QStringLiteral("no clear: the caller heard %1 of stale speech after barging in")
                                        .arg(fmtMs(br.staleAudioHeardMs, 0))
                                  : QStringLiteral("no clear in the %1 s since the caller barged in")
                                        .arg((wallMs() - m_bargeAtMs) / 1000.0, 0, 'f', 1),
                      limit);
            } else {
                const ClearEvent &c = clears.first();
                const double ms = c.clearToSilenceUs / 1000.0;
                check(QStringLiteral("silence after clear"), c.clearToSilenceUs >= 0 && ms <= th().clearToSilenceMs,
                      c.clearToSilenceUs >= 0 ? fmtMs(ms, 1) : QStringLiteral("audio kept coming after the clear"), limit);
                note(QStringLiteral("stale speech discarded by the clear"), fmtMs(c.discardedUs / 1000.0, 0));
            }
            if (br.sent)
                note(QStringLiteral("caller speech to clear"), br.clearReceived ? fmtMs(br.clearLatencyMs, 0) : QStringLiteral("no clear"));
            figure(QStringLiteral("bargeIn"), br.toJson());
        } else {
            note(QStringLiteral("clears sent"), QString::number(m_bot->clearsSent()));
            if (m_bot->callerSpeechWallMs() > 0)
                check(QStringLiteral("clear on caller speech"), m_bot->clearsSent() > 0 || !cfg().broken.botNeverClears,
                      m_bot->clearsSent() > 0 ? QStringLiteral("%1 ms after detection").arg(m_bot->clearWallMs() - m_bot->callerSpeechWallMs())
                                              : QStringLiteral("never"),
                      QStringLiteral("clear"));
            else
                note(QStringLiteral("barge-in"), QStringLiteral("the caller did not speak over the bot"));
        }
        note(QStringLiteral("speech queued by the bot"), QStringLiteral("%1 s in %2 turns, %3 marks")
                                                             .arg(m_bot->speechQueuedSec(), 0, 'f', 1)
                                                             .arg(m_bot->speechSpans().size())
                                                             .arg(m_bot->marksSent().size()));
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
