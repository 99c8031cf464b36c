#include "PlayoutModel.h"

#include <QJsonArray>
#include <algorithm>

namespace pacelab {

PlayoutModel::PlayoutModel(Config config)
    : m_config(config)
{
    m_config.jitterBufferUs = std::max<qint64>(0, m_config.jitterBufferUs);
    m_config.silenceHoldUs = std::max<qint64>(0, m_config.silenceHoldUs);
    if (!m_config.format.isValid())
        m_config.format = MediaFormat::mulaw8k();
    reset();
}

void PlayoutModel::reset()
{
    m_nowUs = 0;
    m_started = false;
    m_receivedUs = 0;
    m_playStartUs = 0;
    m_playEndUs = 0;
    m_dryAfterClear = false;
    m_lastClearUs = -1;
    m_maxBufferedUs = 0;
    m_discardedByClearUs = 0;
    m_overflowBytes = 0;
    m_lastFeedUs = -1;
    m_lastRefusal = Refusal::None;
    m_messageEnds.clear();
    m_maxBufferedMessages = 0;
    m_marksDropped = 0;
    m_pendingMarks.clear();
    m_echoes.clear();
    m_marksEchoed = 0;
    m_underruns.clear();
    m_underrunCount = 0;
    m_underrunTotalUs = 0;
    m_pauseCount = 0;
    m_clears.clear();
    m_clearCount = 0;
    m_awaitSilence = false;
}

void PlayoutModel::setEchoCallback(std::function<void(const MarkEcho &)> callback)
{
    m_echoCallback = std::move(callback);
}

qint64 PlayoutModel::bufferedUs() const
{
    if (!m_started || m_nowUs >= m_playEndUs)
        return 0;
    return m_playEndUs - std::max(m_nowUs, m_playStartUs);
}

qint64 PlayoutModel::playedUs() const
{
    return m_receivedUs - bufferedUs();
}

qint64 PlayoutModel::bufferedMessages() const
{
    const qint64 played = playedUs();
    while (!m_messageEnds.empty() && m_messageEnds.front() <= played)
        m_messageEnds.pop_front();
    return qint64(m_messageEnds.size());
}

void PlayoutModel::echo(const PendingMark &m, qint64 atUs, bool byClear)
{
    MarkEcho e{m.name, m.receivedUs, atUs, byClear};
    m_marksEchoed++;
    if (m_echoes.size() < m_config.maxListEntries)
        m_echoes.append(e);
    if (m_echoCallback)
        m_echoCallback(e);
}

void PlayoutModel::playTo(qint64 toUs)
{
    // Marks become due, in order, when the playhead passes the audio received before them.
    while (!m_pendingMarks.empty()) {
        const PendingMark &m = m_pendingMarks.front();
        const qint64 dueUs = m_playEndUs - (m_receivedUs - m.dueAudioUs);
        if (dueUs > toUs)
            break;
        const PendingMark copy = m;
        m_pendingMarks.pop_front();
        m_nowUs = std::max(m_nowUs, dueUs);
        echo(copy, m_nowUs, false);
    }
    if (m_awaitSilence) {
        const qint64 silentFrom = std::max(m_playEndUs, m_lastClearUs);
        if (toUs >= silentFrom + m_config.silenceHoldUs) {
            m_awaitSilence = false;
            if (!m_clears.isEmpty()) {
                ClearEvent &c = m_clears.last();
                c.silenceAtUs = silentFrom;
                c.clearToSilenceUs = silentFrom - c.atUs;
            }
        }
    }
    m_nowUs = std::max(m_nowUs, toUs);
}

void PlayoutModel::advance(qint64 toUs)
{
    if (toUs < m_nowUs)
        return; // time passed in must not run backwards; ignore stale calls
    playTo(toUs);
}

bool PlayoutModel::feed(qint64 atUs, qsizetype bytes)
{
    advance(atUs);
    atUs = m_nowUs;
    m_lastRefusal = Refusal::None;
    if (bytes <= 0)
        return true;
    const bool countMessages = m_config.maxBufferedMessages > 0;
    if (bufferedUs() > m_config.maxBufferedUs)
        m_lastRefusal = Refusal::Duration;
    else if (countMessages && bufferedMessages() >= m_config.maxBufferedMessages)
        m_lastRefusal = Refusal::Messages;
    if (m_lastRefusal != Refusal::None) {
        m_overflowBytes += bytes;
        return false;
    }
    const qint64 durUs = m_config.format.bytesToUs(bytes);
    if (!m_started || atUs > m_playEndUs || (m_dryAfterClear && atUs >= m_playEndUs)) {
        // Starting from empty: a new run waits for the jitter buffer.
        const qint64 startUs = atUs + m_config.jitterBufferUs;
        if (m_started && !m_dryAfterClear) {
            const qint64 gapUs = atUs - m_playEndUs;
            if (gapUs > m_config.pauseThresholdUs) {
                m_pauseCount++;
            } else {
                Underrun u{m_playEndUs, startUs - m_playEndUs};
                m_underrunCount++;
                m_underrunTotalUs += u.durationUs;
                if (m_underruns.size() < m_config.maxListEntries)
                    m_underruns.append(u);
            }
        }
        m_dryAfterClear = false;
        m_started = true;
        m_playStartUs = startUs;
        m_playEndUs = startUs + durUs;
    } else {
        m_playEndUs += durUs;
    }
    m_receivedUs += durUs;
    m_lastFeedUs = atUs;
    m_maxBufferedUs = std::max(m_maxBufferedUs, bufferedUs());
    if (countMessages) {
        m_messageEnds.push_back(m_receivedUs);
        m_maxBufferedMessages = std::max(m_maxBufferedMessages, bufferedMessages());
    }
    return true;
}

void PlayoutModel::mark(qint64 atUs, const QString &name)
{
    advance(atUs);
    if (bufferedUs() == 0 && m_pendingMarks.empty()) {
        echo(PendingMark{name, m_nowUs, m_receivedUs}, m_nowUs, false);
        return;
    }
    m_pendingMarks.push_back(PendingMark{name, m_nowUs, m_receivedUs});
}

int PlayoutModel::clear(qint64 atUs, bool echoPending)
{
    advance(atUs);
    const qint64 discarded = bufferedUs();
    m_receivedUs -= discarded;
    m_discardedByClearUs += discarded;
    if (m_started) {
        m_playStartUs = std::min(m_playStartUs, m_nowUs);
        m_playEndUs = m_nowUs;
    }
    m_messageEnds.clear();
    int echoed = 0;
    while (!m_pendingMarks.empty()) {
        const PendingMark m = m_pendingMarks.front();
        m_pendingMarks.pop_front();
        if (!echoPending) {
            ++m_marksDropped;
            continue;
        }
        echo(m, m_nowUs, true);
        ++echoed;
    }
    ClearEvent c;
    c.atUs = m_nowUs;
    c.discardedUs = discarded;
    c.marksEchoed = echoed;
    m_clearCount++;
    if (m_clears.size() >= m_config.maxListEntries)
        m_clears.removeFirst();
    m_clears.append(c);
    m_lastClearUs = m_nowUs;
    m_awaitSilence = true;
    m_dryAfterClear = true;
    return echoed;
}

qint64 PlayoutModel::nextEventUs() const
{
    qint64 next = -1;
    auto consider = [&next](qint64 t) {
        if (next < 0 || t < next)
            next = t;
    };
    if (!m_pendingMarks.empty())
        consider(m_playEndUs - (m_receivedUs - m_pendingMarks.front().dueAudioUs));
    if (m_awaitSilence)
        consider(std::max(m_playEndUs, m_lastClearUs) + m_config.silenceHoldUs);
    if (m_started && m_playEndUs > m_nowUs)
        consider(m_playEndUs);
    return next;
}

QJsonObject PlayoutModel::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("bufferedSec")] = bufferedSec();
    o[QStringLiteral("maxBufferedSec")] = m_maxBufferedUs / 1e6;
    o[QStringLiteral("receivedAudioSec")] = m_receivedUs / 1e6;
    o[QStringLiteral("playedSec")] = playedUs() / 1e6;
    o[QStringLiteral("jitterBufferMs")] = m_config.jitterBufferUs / 1000.0;
    o[QStringLiteral("underruns")] = m_underrunCount;
    o[QStringLiteral("underrunTotalMs")] = m_underrunTotalUs / 1000.0;
    QJsonArray ul;
    for (const Underrun &u : m_underruns.mid(0, 200))
        ul.append(QJsonObject{{QStringLiteral("startUs"), u.startUs},
                              {QStringLiteral("ms"), u.durationUs / 1000.0}});
    o[QStringLiteral("underrunList")] = ul;
    o[QStringLiteral("pauses")] = m_pauseCount;
    o[QStringLiteral("marksEchoed")] = m_marksEchoed;
    o[QStringLiteral("marksPending")] = marksPending();
    o[QStringLiteral("clears")] = m_clearCount;
    o[QStringLiteral("discardedByClearSec")] = m_discardedByClearUs / 1e6;
    o[QStringLiteral("discardedOverflowBytes")] = m_overflowBytes;
    if (m_config.maxBufferedMessages > 0) {
        o[QStringLiteral("maxBufferedMessages")] = m_maxBufferedMessages;
        o[QStringLiteral("messageLimit")] = m_config.maxBufferedMessages;
    }
    if (m_marksDropped > 0)
        o[QStringLiteral("marksDroppedByClear")] = m_marksDropped;
    QJsonArray cl;
    for (const ClearEvent &c : m_clears.mid(0, 200))
        cl.append(QJsonObject{{QStringLiteral("atUs"), c.atUs},
                              {QStringLiteral("discardedMs"), c.discardedUs / 1000.0},
                              {QStringLiteral("marksEchoed"), c.marksEchoed},
                              {QStringLiteral("clearToSilenceMs"),
                               c.clearToSilenceUs < 0 ? -1.0 : c.clearToSilenceUs / 1000.0}});
    o[QStringLiteral("clearList")] = cl;
    return o;
}

} // namespace pacelab
