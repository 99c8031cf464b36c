#include "engine/PeerReader.h"

#include <array>

namespace pacelab {

namespace {

provider::Event probeStartEvent(provider::Id id)
{
    using provider::Event;
    const provider::Profile &p = provider::profile(id);
    qint64 sequence = 0;
    const QList<provider::WireMessage> handshake = p.encodeHandshake(p.withIds({}), &sequence);
    Event last = Event::Start; // a profile without a handshake: wait for a start
    for (const provider::WireMessage &m : handshake) {
        const provider::ParseResult r = p.parseFromProvider(m.data, m.binary);
        if (!r.ok())
            continue;
        if (r.message.event == Event::Start)
            return Event::Start;
        last = r.message.event;
    }
    return last;
}

} // namespace

PeerReader::PeerReader(provider::Id id) : m_profile(&provider::profile(id)), m_startEvent(streamStartEvent(id)) {}

provider::Event PeerReader::streamStartEvent(provider::Id id)
{
    // Computed once per provider, on first use (thread-safe static initialisation).
    static const std::array<provider::Event, 5> table = [] {
        std::array<provider::Event, 5> t{};
        for (provider::Id i : provider::allIds())
            t[size_t(i)] = probeStartEvent(i);
        return t;
    }();
    return table[size_t(id)];
}

PeerEvent PeerReader::read(const QByteArray &data, bool binary) const
{
    using provider::Event;
    PeerEvent e;
    if (binary && !m_profile->inboundAudioIsBinary()) {
        // A JSON-only provider never sends binary frames; nothing in one can matter here.
        e.kind = PeerEvent::Invalid;
        e.logLevel = QStringLiteral("warning");
        e.logText = QStringLiteral("peer sent a binary frame (%1 bytes); ignored").arg(data.size());
        return e;
    }
    const provider::ParseResult r = m_profile->parseFromProvider(data, binary);
    if (!r.ok()) {
        e.kind = PeerEvent::Invalid;
        e.logLevel = QStringLiteral("warning");
        e.logText = QStringLiteral("peer sent an invalid message (%1): %2").arg(provider::parseErrorName(r.error), r.detail);
        return e;
    }
    const provider::Message &m = r.message;
    if (m.event == m_startEvent) {
        e.kind = PeerEvent::Start;
        e.streamId = m.streamId;
        return e;
    }
    switch (m.event) {
    case Event::Mark:
        e.kind = PeerEvent::MarkEcho;
        e.markName = m.markName;
        break;
    case Event::Cleared:
        e.kind = PeerEvent::Cleared;
        e.logLevel = QStringLiteral("info");
        e.logText = QStringLiteral("peer acknowledged the clear (%1)").arg(m.name);
        break;
    case Event::Stop:
        e.kind = PeerEvent::Stop;
        e.logLevel = QStringLiteral("info");
        e.logText = QStringLiteral("peer sent stop: the stream has ended");
        break;
    case Event::Error:
        e.kind = PeerEvent::Error;
        e.logLevel = QStringLiteral("warning");
        e.logText = QStringLiteral("peer reported an error: %1")
                        .arg(m.text.isEmpty() ? QStringLiteral("(no text)") : m.text);
        break;
    default:
        break;
    }
    return e;
}

} // namespace pacelab
