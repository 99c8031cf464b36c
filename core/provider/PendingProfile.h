#pragma once

// TEMPORARY (session 4): a profile whose messages are not built yet, so the registry and every
// caller compile while the provider helpers write TelnyxProfile/VonageProfile/PlivoProfile/
// ExotelProfile. Every encode returns an empty message and every parse fails with a clear
// message. Deleted when the last real profile lands.
#include "provider/Provider.h"

namespace pacelab::provider {

class PendingProfile : public Profile
{
public:
    PendingProfile(Id id, const char *name, const char *display, MediaFormat out, MediaFormat in, bool binary)
        : m_id(id), m_name(QString::fromLatin1(name)), m_display(QString::fromLatin1(display)), m_out(out), m_in(in), m_binary(binary)
    {
    }
    Id id() const override { return m_id; }
    QString name() const override { return m_name; }
    QString displayName() const override { return m_display; }
    MediaFormat outboundFormat() const override { return m_out; }
    MediaFormat inboundFormat() const override { return m_in; }
    bool outboundAudioIsBinary() const override { return m_binary; }
    bool inboundAudioIsBinary() const override { return m_binary; }
    Limits limits() const override { return {}; }
    bool clearEchoesPendingMarks() const override { return false; }
    bool botMessagesCarryStreamId() const override { return false; }
    WireMessage encodeMedia(const QString &, const QByteArray &) const override { return {}; }
    WireMessage encodeMark(const QString &, const QString &) const override { return {}; }
    WireMessage encodeClear(const QString &) const override { return {}; }
    ParseResult parseFromBot(const QByteArray &, bool, const QString &) const override { return pending(); }
    QList<WireMessage> encodeHandshake(const StartParams &, qint64 *) const override { return {}; }
    WireMessage encodeInboundMedia(const StartParams &, qint64 *, qint64, qint64, const QByteArray &) const override { return {}; }
    WireMessage encodeDtmf(const StartParams &, qint64 *, const QString &) const override { return {}; }
    WireMessage encodeMarkEcho(const StartParams &, qint64 *, const QString &) const override { return {}; }
    std::optional<WireMessage> encodeClearAck(const StartParams &, qint64 *) const override { return std::nullopt; }
    std::optional<WireMessage> encodeStop(const StartParams &, qint64 *) const override { return std::nullopt; }
    ParseResult parseFromProvider(const QByteArray &, bool, const QString &) const override { return pending(); }
    StartParams withIds(StartParams p) const override { return p; }
    int recognize(const QByteArray &, bool) const override { return 0; }

private:
    ParseResult pending() const
    {
        ParseResult r;
        r.error = ParseError::UnknownEvent;
        r.code = codeFor(Fault::InvalidMessage);
        r.detail = QStringLiteral("the %1 profile is not built yet").arg(m_name);
        return r;
    }
    Id m_id;
    QString m_name, m_display;
    MediaFormat m_out, m_in;
    bool m_binary;
};

} // namespace pacelab::provider
