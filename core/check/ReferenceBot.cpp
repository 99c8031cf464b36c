#include "ReferenceBot.h"

#include "CheckUtil.h"
#include "ProfileAudio.h"

#include "audio/AudioFormat.h"

#include <algorithm>
#include <vector>

#include <QDateTime>
#include <QPointer>
#include <QTimer>

namespace pacelab::check {

static qint64 nowWallMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

ReferenceBot::ReferenceBot(BotOptions options, SpeechSynthFactory speech, QObject *parent)
    : QObject(parent), m_opt(std::move(options)), m_factory(std::move(speech))
{
    SessionConfig sc;
    sc.sender = m_opt.sender;
    sc.setProvider(m_opt.provider);
    m_format = provider::profile(m_opt.provider).outboundFormat();
    // Everything the provider sends, text or binary (Vonage's caller audio is binary), read on
    // this thread. The tap runs on the sender thread: it only posts.
    auto previous = sc.sender.messageTap;
    QPointer<ReferenceBot> self(this);
    sc.sender.messageTap = [self, previous](qint64 tUs, bool outbound, bool binary, const QByteArray &data) {
        if (previous)
            previous(tUs, outbound, binary, data);
        if (outbound || !self)
            return;
        QMetaObject::invokeMethod(self.data(), [self, data, binary] {
            if (self)
                self->onPeerMessage(data, binary);
        }, Qt::QueuedConnection);
    };
    m_session = Session::create(sc, &m_sessionError); // a refusal is reported by prepare()
    if (!m_session)
        return;
    m_engine = m_session->engine();
    connect(m_engine, &SenderEngine::stateChanged, this, [this](SenderEngine::State st, const QString &) {
        if (st != SenderEngine::Connected || m_streaming)
            return;
        m_streaming = true;
        Q_EMIT streaming();
        if (!m_opt.greeting.isEmpty())
            speak(m_opt.greeting);
    });
}

ReferenceBot::~ReferenceBot()
{
    m_abort = true;
    if (m_engine)
        m_engine->queue()->close();
    joinProducer();
    m_engine = nullptr;
    m_session.reset();
}

bool ReferenceBot::prepare(QString *error)
{
    if (!m_session) {
        *error = QStringLiteral("invalid sender configuration: %1").arg(m_sessionError);
        return false;
    }
    if (!m_factory) {
        *error = QStringLiteral("no text-to-speech engine was provided to the checklist");
        return false;
    }
    m_synth = m_factory();
    if (!m_synth) {
        *error = QStringLiteral("the text-to-speech factory returned nothing");
        return false;
    }
    QString why;
    if (!m_synth->initialize(&why)) {
        *error = QStringLiteral("text-to-speech unavailable: %1").arg(why);
        return false;
    }
    return true;
}

void ReferenceBot::connectTo(const QUrl &url)
{
    if (m_engine)
        m_engine->connectTo(url);
}

void ReferenceBot::listen(const QHostAddress &addr, quint16 port)
{
    if (m_engine)
        m_engine->listen(addr, port);
}

void ReferenceBot::joinProducer()
{
    if (m_producer.joinable())
        m_producer.join();
}

void ReferenceBot::speak(const QStringList &sentences)
{
    if (!m_synth) {
        Q_EMIT failed(QStringLiteral("reference bot: prepare() was not called or failed"));
        return;
    }
    joinProducer();
    m_abort = false;
    const int turn = ++m_turn;
    m_speaking = true;
    m_spans.append({nowWallMs(), 0});
    Q_EMIT turnStarted(turn);

    SenderEngine *eng = m_engine;
    SpeechSynth *synth = m_synth.get();
    const BotOptions opt = m_opt;
    const MediaFormat fmt = m_format;
    m_producer = std::thread([this, eng, synth, opt, fmt, sentences, turn] {
        FormatFramer framer(synth->sampleRate(), fmt);
        QString error;
        bool aborted = false;
        QByteArray half; // broken twin: two of the format's frames in one message
        auto pushFrame = [&](const QByteArray &f) -> bool {
            if (m_abort)
                return false;
            QByteArray out = f;
            if (opt.frameBytes > kFrameBytes) {
                if (half.isEmpty()) {
                    half = f;
                    return true;
                }
                out = half + f;
                half.clear();
            }
            if (!eng->enqueueFrame(out, !opt.ignoreBackPressure))
                return false;
            m_framesQueued += out.size() / fmt.frameBytes();
            return true;
        };
        if (!framer.isValid())
            error = framer.errorString();
        // The whole turn is synthesized first (espeak runs hundreds of times faster than real
        // time, so this takes milliseconds), then streamed through the back-pressured queue: a
        // synthesis stall between sentences on a loaded machine must not starve the 20 ms clock
        // while only a few frames are queued ahead.
        std::vector<std::vector<qint16>> pcm(size_t(sentences.size()));
        for (qsizetype i = 0; i < sentences.size() && error.isEmpty() && !m_abort; ++i) {
            QString why;
            std::vector<qint16> &dst = pcm[size_t(i)];
            if (!synth->synthesizeStreaming(sentences[i], [&](const qint16 *s, int n) {
                    dst.insert(dst.end(), s, s + n);
                    return !m_abort;
                }, &why) && !m_abort)
                error = why;
        }
        const qsizetype chunk = std::max(1, synth->sampleRate() / 50); // 20 ms of input (any frame size)
        for (qsizetype i = 0; i < sentences.size() && error.isEmpty(); ++i) {
            const std::vector<qint16> &src = pcm[size_t(i)];
            bool ok = true;
            for (size_t at = 0; ok && at < src.size(); at += size_t(chunk)) {
                const qsizetype n = qsizetype(std::min(src.size() - at, size_t(chunk)));
                for (const QByteArray &f : framer.push(src.data() + at, n))
                    if (!pushFrame(f)) {
                        ok = false;
                        break;
                    }
            }
            if (m_abort || eng->queue()->isClosed()) {
                aborted = true;
                break;
            }
            if (opt.marks) {
                const QString name = QStringLiteral("t%1-s%2").arg(turn).arg(i + 1);
                eng->mark(name);
                QMetaObject::invokeMethod(this, [this, name] { m_marks << name; }, Qt::QueuedConnection);
            }
        }
        if (m_abort)
            aborted = true;
        if (!aborted && error.isEmpty()) {
            for (const QByteArray &f : framer.flush())
                if (!pushFrame(f))
                    break;
        }
        QMetaObject::invokeMethod(this, [this, turn, aborted, error] { onProducerDone(turn, aborted, error); },
                                  Qt::QueuedConnection);
    });
}

void ReferenceBot::onProducerDone(int turn, bool aborted, const QString &error)
{
    if (!error.isEmpty()) {
        Q_EMIT logMessage(QStringLiteral("error"), QStringLiteral("reference bot TTS: %1").arg(error));
        Q_EMIT failed(QStringLiteral("text-to-speech failed: %1").arg(error));
        return;
    }
    if (aborted || turn != m_turn)
        return;
    // The turn is over once its audio has left the tx queue (the send queue holds a frame at
    // most for a moment on a healthy socket).
    auto *poll = new QTimer(this);
    poll->setInterval(20);
    connect(poll, &QTimer::timeout, this, [this, poll, turn] {
        if (turn != m_turn || !m_speaking) {
            poll->deleteLater();
            return;
        }
        if (m_engine->queue()->size() > 0)
            return;
        poll->deleteLater();
        m_speaking = false;
        if (!m_spans.isEmpty() && m_spans.last().second == 0)
            m_spans.last().second = nowWallMs();
        Q_EMIT turnFinished(turn);
    });
    poll->start();
}

void ReferenceBot::stopSpeaking(bool clearPeer)
{
    m_abort = true;
    m_engine->queue()->clear(true); // wakes the producer if it waits on the queue
    joinProducer();                 // nothing stale can be queued after this
    if (clearPeer) {
        m_engine->clear(); // empties the queues and sends Twilio's `clear`
        ++m_clears;
        if (m_clearWallMs == 0)
            m_clearWallMs = nowWallMs();
        Q_EMIT cleared();
    }
    if (!m_spans.isEmpty() && m_spans.last().second == 0)
        m_spans.last().second = nowWallMs();
    m_speaking = false;
}

void ReferenceBot::onPeerMessage(const QByteArray &data, bool binary)
{
    const provider::Profile &profile = provider::profile(m_opt.provider);
    const provider::ParseResult r = profile.parseFromProvider(data, binary);
    if (!r.ok() || r.message.event != provider::Event::Media || r.message.audio.isEmpty())
        return;
    const MediaFormat in = r.message.format.value_or(profile.inboundFormat());
    const double level = audioDbfs(r.message.audio, in);
    const int frameMs = qMax(1, int(in.bytesToMs(r.message.audio.size())));
    if (level > m_opt.speechDbfs) {
        ++m_loudRun;
        m_quietMs = 0;
    } else {
        m_loudRun = 0;
        m_quietMs += frameMs;
    }
    if (!m_callerTalking && m_loudRun >= m_opt.speechFrames) {
        m_callerTalking = true;
        if (m_callerSpeechWallMs == 0)
            m_callerSpeechWallMs = nowWallMs();
        Q_EMIT logMessage(QStringLiteral("info"), QStringLiteral("reference bot: caller speech (%1 dBFS)%2")
                                                      .arg(level, 0, 'f', 1)
                                                      .arg(m_speaking ? (m_opt.neverClears ? QStringLiteral(", ignored (never-clear twin)")
                                                                                           : QStringLiteral(", clearing"))
                                                                      : QString()));
        Q_EMIT callerSpeechStarted();
        if (m_speaking && !m_opt.neverClears)
            stopSpeaking(true);
    } else if (m_callerTalking && m_quietMs >= m_opt.quietMsToEndTurn) {
        m_callerTalking = false;
        Q_EMIT callerSpeechEnded();
        if (!m_replied && !m_speaking && !m_opt.reply.isEmpty()) {
            m_replied = true;
            speak(m_opt.reply);
        }
    }
}

} // namespace pacelab::check
