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

void PeerReader::invalid(PeerEvent &e, const QString &text, const QByteArray &data, bool binary)
{
    e.kind = PeerEvent::Invalid;
    ++m_invalid;
    if (m_invalid > quint64(kMaxLoggedInvalid) + 1)
        return;
    e.logLevel = QStringLiteral("warning");
    if (m_invalid == quint64(kMaxLoggedInvalid) + 1) {
        e.logText = QStringLiteral("peer sent %1 invalid messages; further ones are counted, not logged")
                        .arg(m_invalid);
        return;
    }
    e.logText = text;
    if (m_invalid == 1) {
        // The commonest cause: the peer speaks another provider's protocol.
        const std::optional<provider::Id> other = provider::detect({{data, binary}});
        if (other && *other != m_profile->id())
            e.logText += QStringLiteral(" (it looks like %1's protocol: is --provider %2 right?)")
                             .arg(provider::name(*other), m_profile->name());
    }
}

PeerEvent PeerReader::read(const QByteArray &data, bool binary)
{
    using provider::Event;
    PeerEvent e;
    if (binary && !m_profile->inboundAudioIsBinary()) {
        // A JSON-only provider never sends binary frames; nothing in one can matter here.
        invalid(e, QStringLiteral("peer sent a binary frame (%1 bytes); ignored").arg(data.size()), data, binary);
        return e;
    }
    const provider::ParseResult r = m_profile->parseFromProvider(data, binary);
    if (!r.ok()) {
        invalid(e,
                QStringLiteral("peer sent an invalid message (%1): %2").arg(provider::parseErrorName(r.error), r.detail),
                data, binary);
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
