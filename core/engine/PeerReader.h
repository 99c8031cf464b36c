#pragma once

#include "provider/Provider.h"

#include <QByteArray>
#include <QString>

namespace pacelab {

// What the sender does with one message from the peer.
struct PeerEvent
{
    enum Kind {
        Nothing,  // media, dtmf, connected, ...: nothing for the sender to do
        Start,    // the stream starts: pace from now on (streamId may be empty, see below)
        MarkEcho, // the peer played the audio up to this mark
        Cleared,  // the peer acknowledged a clear
        Stop,     // the peer ended the stream
        Error,    // the peer reported an error (text in logText)
        Invalid,  // not a message of the profile (logged; never fatal)
    };
    Kind kind = Nothing;
    QString streamId; // Start: the provider's stream id ("" for a provider that names none)
    QString markName; // MarkEcho
    QString logLevel; // "info" / "warning", empty = nothing to log
    QString logText;
};

// Reads what the peer (the provider, or PaceLab's emulator of it) sends, through the provider
// profile, for both clocks (PacedSender and the streams of MultiStreamSender), so they word
// everything alike. Which event starts the stream is learnt once from the profile itself: the
// event its handshake carries a start in (Twilio/Telnyx/Plivo/Exotel `start`), else the last
// handshake message (Vonage's `websocket:connected`). One per stream: it counts invalid
// messages, logs the first kMaxLoggedInvalid of them (the first with a hint when the message
// looks like another provider's protocol: a wrong --provider), then only counts, so a peer that
// speaks another protocol at 50 messages a second cannot flood the log.
class PeerReader
{
public:
    explicit PeerReader(provider::Id id = provider::Id::Twilio);

    const provider::Profile &profile() const { return *m_profile; }
    provider::Event startEvent() const { return m_startEvent; }
    // The stream cannot start without an id: the bot must name it in what it sends.
    bool needsStreamId() const { return m_profile->botMessagesCarryStreamId(); }

    static constexpr int kMaxLoggedInvalid = 10;

    PeerEvent read(const QByteArray &data, bool binary);
    quint64 invalidCount() const { return m_invalid; }

    // The event whose arrival starts a stream of this provider (see the class comment).
    static provider::Event streamStartEvent(provider::Id id);

private:
    const provider::Profile *m_profile;
    provider::Event m_startEvent;
    quint64 m_invalid = 0;

    void invalid(PeerEvent &e, const QString &text, const QByteArray &data, bool binary);
};

} // namespace pacelab
