// B1-B5, the test-your-bot set: PaceLab's emulator calls a bot like Twilio does and judges what
// comes back. Without --bot the target is PaceLab's own reference bot (SenderEngine + TTS).
#include "Scenarios.h"

#include "ReferenceBot.h"
#include "SpeechTexts.h"

#include <QJsonArray>

#include <algorithm>

namespace pacelab::check {

namespace {

class BotCheck final : public Scenario
{
public:
    using Scenario::Scenario;

protected:
    void begin() override
    {
        const QString id = info().id;
        if (id == QLatin1String("B4"))
            prepareCallerSpeech();
        if (!cfg().botUrl.isEmpty()) {
            detail(QStringLiteral("bot under test: %1").arg(cfg().botUrl.toString()));
            return startSession(cfg().botUrl);
        }
        // The built-in reference bot, with the broken twins applied to it.
        BotOptions bo;
        bo.sender = senderConfig();
        if (bo.sender.queueCapacity > 0)
            bo.sender.highWater = std::min(8, bo.sender.queueCapacity);
        bo.neverClears = cfg().broken.botNeverClears;
        bo.ignoreBackPressure = cfg().broken.ignoreBackPressure;
        bo.frameBytes = cfg().broken.frameBytes;
        bo.greeting = shortSentences() + shortSentences(); // talks through the session, a mark every second or so
        m_bot = new ReferenceBot(bo, ctx().speech, this);
        QString error;
        if (!m_bot->prepare(&error))
            return finishError(QStringLiteral("built-in reference bot: %1").arg(error));
        connect(m_bot, &ReferenceBot::failed, this, [this](const QString &why) { finishError(why); });
        attachEngine(m_bot->engine(), {});
        connect(m_bot->engine(), &SenderEngine::stateChanged, this, [this](SenderEngine::State st, const QString &) {
            if (st != SenderEngine::Listening || m_sessionAsked)
                return;
            m_sessionAsked = true;
            QUrl url;
            url.setScheme(QStringLiteral("ws"));
            url.setHost(QStringLiteral("127.0.0.1"));
            url.setPort(m_bot->engine()->listeningPort());
            url.setPath(QStringLiteral("/"));
            detail(QStringLiteral("bot under test: PaceLab's built-in reference bot (SenderEngine + espeak-ng) on %1").arg(url.toString()));
            startSession(url);
        });
        m_bot->listen(QHostAddress::LocalHost, 0);
        after(dur().connectTimeoutSec, [this] {
            if (!m_sessionAsked)
                finishError(QStringLiteral("the reference bot did not start listening"));
        });
    }

    void stopProducers() override
    {
        delete m_bot;
        m_bot = nullptr;
    }

private:
    void prepareCallerSpeech()
    {
        if (!ctx().speech)
            return; // a tone then
        auto synth = ctx().speech();
        QString error;
        if (!synth || !synth->initialize(&error))
            return;
        m_callerSpeech.sampleRate = synth->sampleRate();
        synth->synthesizeStreaming(callerBargeInText(), [this](const qint16 *s, int n) {
            m_callerSpeech.samples.append(QVector<qint16>(s, s + n));
            return true;
        }, &error);
    }

    void startSession(const QUrl &url)
    {
        EmulatorOptions eo;
        eo.caller = CallerAudio::silence();
        eo.caFile = cfg().caFile;
        eo.connectTimeoutMs = int(dur().connectTimeoutSec * 1000);
        TwilioEmulator *emu = createEmulator(eo);
        connect(emu, &TwilioEmulator::sessionStarted, this, [this] { onSession(); });
        connect(emu, &TwilioEmulator::errorOccurred, this, [this, url](const QString &e) {
            if (!m_session)
                finishError(QStringLiteral("cannot stream to the bot at %1: %2").arg(url.toString(), e));
            else
                detail(QStringLiteral("emulator: %1").arg(e));
        });
        connect(emu, &TwilioEmulator::clientDisconnected, this, [this](const QString &reason) {
            if (m_session && !m_judged)
                detail(QStringLiteral("the bot closed the stream after %1 s: %2").arg(elapsedSec(), 0, 'f', 1).arg(reason));
        });
        if (!emu->connectToBot(url, eo))
            return finishError(QStringLiteral("cannot call the bot at %1: %2").arg(url.toString(), emu->errorString()));
        after(dur().connectTimeoutSec + 1, [this, url] {
            if (!m_session)
                finishError(QStringLiteral("the bot at %1 did not take the stream within %2 s").arg(url.toString()).arg(dur().connectTimeoutSec));
        });
    }

    void onSession()
    {
        if (m_session)
            return;
        m_session = true;
        if (info().id == QLatin1String("B4"))
            after(std::min(2.5, dur().botSec / 3), [this] { bargeIn(); });
        after(dur().botSec, [this] {
            // Marks still waiting for their audio to play get a moment (B5).
            if (info().id == QLatin1String("B5") && emulator()->playout().marksPending() > 0)
                after(std::min(1.5, emulator()->playout().bufferedSec() + 0.3), [this] { judge(); });
            else
                judge();
        });
    }

    void bargeIn()
    {
        TwilioEmulator *emu = emulator();
        const bool ok = m_callerSpeech.samples.isEmpty() ? emu->startBargeInTone(1200, 440.0, -10.0, 2000)
                                                         : emu->startBargeIn(m_callerSpeech, 2000);
        if (!ok)
            detail(QStringLiteral("the emulator refused the barge-in probe (stream not running?)"));
        else
            m_bargeAtMs = wallMs();
    }

    void judge()
    {
        if (m_judged)
            return;
        m_judged = true;
        TwilioEmulator *emu = emulator();
        const ArrivalStats st = emu->stats();
        const PlayoutModel &p = emu->playout();
        const QString id = info().id;
        const QString noAudio = QStringLiteral("the bot sent no audio in %1 s: %2 needs a bot that speaks when the call starts")
                                    .arg(dur().botSec).arg(id);
        if (id == QLatin1String("B1")) {
            const QList<Violation> v = emu->violations();
            QStringList first;
            for (int i = 0; i < v.size() && i < 3; ++i)
                first << QStringLiteral("%1 %2").arg(v[i].code).arg(v[i].message);
            check(QStringLiteral("schema violations"), emu->violationCount() == 0,
                  emu->violationCount() == 0 ? QStringLiteral("0 in %1 frames").arg(st.frames)
                                             : QStringLiteral("%1 (%2)").arg(emu->violationCount()).arg(first.join(QStringLiteral("; "))),
                  QStringLiteral("0"));
            for (const Violation &x : v)
                detail(QStringLiteral("%1 s: %2 %3").arg(x.sessionSec, 0, 'f', 2).arg(x.code).arg(x.message));
        } else if (st.frames == 0) {
            return finishError(noAudio);
        } else if (id == QLatin1String("B2")) {
            // Inner seconds of each talk run only: a bot may pause between sentences, and the
            // seconds where it starts or stops are partial.
            const QList<int> &fps = st.fpsPerSecond;
            QList<int> inner;
            for (qsizetype i = 1; i + 1 < fps.size(); ++i)
                if (fps[i - 1] > 0 && fps[i] > 0 && fps[i + 1] > 0)
                    inner << fps[i];
            const int tol = th().botFpsTolerance;
            setLimit(QStringLiteral("fpsMin"), th().fpsTarget - tol);
            setLimit(QStringLiteral("fpsMax"), th().fpsTarget + tol);
            int outside = 0;
            for (int f : std::as_const(inner))
                outside += std::abs(f - th().fpsTarget) > tol ? 1 : 0;
            const auto [mn, mx] = inner.isEmpty() ? std::pair{0, 0} : std::pair{*std::min_element(inner.begin(), inner.end()), *std::max_element(inner.begin(), inner.end())};
            check(QStringLiteral("fps at the peer"), !inner.isEmpty() && outside == 0,
                  inner.isEmpty() ? QStringLiteral("no whole second of talking")
                                  : QStringLiteral("%1 over %2 s%3").arg(fmtRange(mn, mx)).arg(inner.size())
                                        .arg(outside ? QStringLiteral(", %1 s outside").arg(outside) : QString()),
                  QStringLiteral("%1 ± %2").arg(th().fpsTarget).arg(tol));
            check(QStringLiteral("bursts"), st.burstCount == 0,
                  st.burstCount == 0 ? QStringLiteral("0")
                                     : QStringLiteral("%1 (first: %2 frames, %3 ahead of real time)").arg(st.burstCount)
                                           .arg(st.bursts.value(0).frames).arg(fmtMs(st.bursts.value(0).excessMs, 0)),
                  QStringLiteral("0"));
            const double maxBuf = p.maxBufferedUs() / 1e6;
            setLimit(QStringLiteral("bufferedMaxSec"), th().maxBufferedSec);
            check(QStringLiteral("audio buffered at the peer"), maxBuf <= th().maxBufferedSec,
                  QStringLiteral("max %1 s").arg(maxBuf, 0, 'f', 3), QStringLiteral("≤ %1 s").arg(th().maxBufferedSec));
            note(QStringLiteral("drift"), st.driftValid ? QStringLiteral("%1 ppm").arg(st.driftPpm, 0, 'f', 0) : QStringLiteral("n/a"));
        } else if (id == QLatin1String("B3")) {
            QStringList hist;
            for (auto it = st.sizeHistogram.cbegin(); it != st.sizeHistogram.cend(); ++it)
                hist << QStringLiteral("%1 B × %2").arg(it.key()).arg(it.value());
            check(QStringLiteral("frames of 160 B"), st.nonStandardFrames == 0,
                  st.nonStandardFrames == 0 ? QStringLiteral("%1 of %1").arg(st.frames)
                                            : QStringLiteral("%1 of %2 were not 160 B (%3)").arg(st.nonStandardFrames).arg(st.frames).arg(hist.join(QStringLiteral(", "))),
                  QStringLiteral("every frame 160 B"));
        } else if (id == QLatin1String("B4")) {
            const BargeInResult br = emu->bargeIn();
            if (!br.sent)
                return finishError(QStringLiteral("the barge-in probe could not be sent"));
            if (!br.botWasTalking)
                return finishError(QStringLiteral("the bot was not talking when the caller barged in at %1 s: nothing to interrupt")
                                       .arg(std::min(2.5, dur().botSec / 3)));
            const double sinceMs = m_bargeAtMs > 0 ? double(wallMs() - m_bargeAtMs) : 0.0;
            check(QStringLiteral("clear after caller speech"), br.clearReceived && br.clearLatencyMs <= th().bargeInClearMs,
                  br.clearReceived ? fmtMs(br.clearLatencyMs, 0)
                  : br.finished    ? QStringLiteral("no clear: the caller heard %1 of stale speech").arg(fmtMs(br.staleAudioHeardMs, 0))
                                   : QStringLiteral("no clear in the %1 s since the caller spoke").arg(sinceMs / 1000.0, 0, 'f', 1),
                  QStringLiteral("≤ %1").arg(fmtMs(th().bargeInClearMs, 0)));
            if (br.audioStopped)
                note(QStringLiteral("caller speech to silence"), fmtMs(br.audioStoppedLatencyMs, 0));
            note(QStringLiteral("audio buffered when the caller spoke"), QStringLiteral("%1 s").arg(br.bufferedAtStartSec, 0, 'f', 2));
            figure(QStringLiteral("bargeIn"), br.toJson());
        } else if (id == QLatin1String("B5")) {
            const int echoed = p.marksEchoed(), pending = p.marksPending();
            const int received = echoed + pending;
            if (received == 0)
                return finishSkipped(QStringLiteral("the bot sent no mark in %1 s (nothing to judge)").arg(dur().botSec));
            // Pending marks are fine while the audio before them is still playing.
            const bool pendingOk = pending == 0 || p.bufferedUs() > 0;
            check(QStringLiteral("marks echoed"), echoed > 0 && pendingOk,
                  QStringLiteral("%1 of %2 echoed%3").arg(echoed).arg(received)
                      .arg(pending ? QStringLiteral(", %1 waiting behind %2 s of audio").arg(pending).arg(p.bufferedSec(), 0, 'f', 2) : QString()),
                  QStringLiteral("each once its audio has played"));
            const QStringList order = emu->marksEchoedInOrder();
            if (m_bot) {
                const QStringList sent = m_bot->marksSent();
                check(QStringLiteral("echo order"), order == sent.mid(0, order.size()),
                      order == sent.mid(0, order.size()) ? QStringLiteral("as sent") : QStringLiteral("differs from the send order"),
                      QStringLiteral("as sent"));
            }
            note(QStringLiteral("echoed marks"), order.mid(0, 8).join(QStringLiteral(", ")) + (order.size() > 8 ? QStringLiteral(", ...") : QString()));
        }
        addStandardFigures();
        finish();
    }

    ReferenceBot *m_bot = nullptr;
    PcmBuffer m_callerSpeech;
    qint64 m_bargeAtMs = 0;
    bool m_sessionAsked = false;
    bool m_session = false;
    bool m_judged = false;
};

} // namespace

Scenario *createBotScenario(const ScenarioInfo &info, const RunContext &ctx, QObject *parent)
{
    return new BotCheck(info, ctx, parent);
}

} // namespace pacelab::check
