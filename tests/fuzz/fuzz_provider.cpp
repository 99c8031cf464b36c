// The five provider profiles' parsers (core/provider: Twilio, Telnyx, Vonage, Plivo, Exotel and
// their shared helpers ProfileJson / PcmProfileUtil). The first input byte picks the profile and
// how the rest arrives; the rest is one WebSocket message:
//   bits 0-2  profile, index into provider::allIds() modulo 5 (0 twilio, 1 telnyx, 2 vonage,
//             3 plivo, 4 exotel)
//   bit 3     0 = from the bot (parseFromBot, strict), 1 = from the provider (parseFromProvider)
//   bit 4     a binary frame (else text)
//   bit 5     check the stream id against kStreamId (else no expected id)
//   bits 6-7  ignored
// So '@'..'D' are bot text frames, 'H'..'L' provider text frames, 'P'..'T' bot binary frames ('R'
// Vonage's audio), 'Z' a binary frame from Vonage, and 'a'..'l' the text frames with the stream
// id checked. The seeds (corpus/provider/) start with these.
// Every input also goes through every profile's recognize() and provider::detect().
#include "FuzzCheck.h"

#include "provider/Provider.h"

#include <QByteArray>

#include <algorithm>

using namespace pacelab::provider;

namespace {

const QString kStreamId = QStringLiteral("MZ00000000000000000000000000000000");

const char *nameOf(const Profile &p)
{
    static QByteArray names[5];
    QByteArray &n = names[int(p.id())];
    if (n.isEmpty())
        n = p.name().toLatin1();
    return n.constData();
}

void checkConsistent(const Profile &p, const ParseResult &r, const char *dir)
{
    FUZZ_CHECK(r.ok() == (r.error == ParseError::None), "%s %s: ok() disagrees with error", nameOf(p), dir);
    if (r.ok()) {
        FUZZ_CHECK(r.code == 0, "%s %s: code %d on success", nameOf(p), dir, r.code);
        return;
    }
    FUZZ_CHECK(!r.detail.isEmpty(), "%s %s: error %s without detail", nameOf(p), dir, qPrintable(parseErrorName(r.error)));
    FUZZ_CHECK(r.code != 0, "%s %s: error %s with code 0", nameOf(p), dir, qPrintable(parseErrorName(r.error)));
    // Twilio keeps TwilioMessages' own numbering (its codes predate profiles); every other
    // profile takes the code from codeFor().
    if (p.id() != Id::Twilio)
        FUZZ_CHECK(r.code == p.codeFor(r.error), "%s %s: code %d for %s, codeFor says %d", nameOf(p), dir, r.code,
                   qPrintable(parseErrorName(r.error)), p.codeFor(r.error));
}

// What holds for every successful parse, either direction.
void checkParsed(const Profile &p, const ParseResult &r, bool fromBot, bool binary, const QString &expected)
{
    const char *dir = fromBot ? "fromBot" : "fromProvider";
    const Message &m = r.message;
    FUZZ_CHECK(m.event != Event::Unknown, "%s %s: ok with event unknown", nameOf(p), dir);
    if (fromBot)
        FUZZ_CHECK(m.event == Event::Media || m.event == Event::Mark || m.event == Event::Clear || m.event == Event::Dtmf,
                   "%s: a bot sent %s", nameOf(p), qPrintable(eventName(m.event)));
    else
        FUZZ_CHECK(m.event != Event::Clear, "%s: the provider sent a clear", nameOf(p));
    if (binary) {
        FUZZ_CHECK(m.event == Event::Media, "%s %s: a binary frame parsed as %s", nameOf(p), dir, qPrintable(eventName(m.event)));
        FUZZ_CHECK(fromBot ? p.outboundAudioIsBinary() : p.inboundAudioIsBinary(),
                   "%s %s: binary frame accepted by a text-only profile", nameOf(p), dir);
    }
    if (!expected.isEmpty() && !m.streamId.isEmpty())
        FUZZ_CHECK(m.streamId == expected, "%s %s: stream id '%s' accepted, expected '%s'", nameOf(p), dir,
                   qPrintable(m.streamId), qPrintable(expected));
    if (fromBot && m.event == Event::Media) {
        // What the profile promises in limits() is what its parser enforces.
        const Limits l = p.limits();
        const qsizetype n = m.audio.size();
        FUZZ_CHECK(!m.audio.startsWith("RIFF"), "%s: a RIFF payload accepted from a bot", nameOf(p));
        FUZZ_CHECK(l.minAudioBytes == 0 || n >= l.minAudioBytes, "%s: %lld B accepted, min %d", nameOf(p), (long long)n,
                   l.minAudioBytes);
        FUZZ_CHECK(l.maxAudioBytes == 0 || n <= l.maxAudioBytes, "%s: %lld B accepted, max %d", nameOf(p), (long long)n,
                   l.maxAudioBytes);
        FUZZ_CHECK(l.audioSizeMultiple == 0 || n % l.audioSizeMultiple == 0, "%s: %lld B accepted, not a multiple of %d",
                   nameOf(p), (long long)n, l.audioSizeMultiple);
        if (m.format)
            FUZZ_CHECK(*m.format == p.outboundFormat(), "%s: bot media in %s accepted, stream is %s", nameOf(p),
                       qPrintable(m.format->describe()), qPrintable(p.outboundFormat().describe()));
    }
}

// A bot's message, re-encoded with the profile's own encoder, parses to the same message.
void roundTripFromBot(const Profile &p, const Message &m, const QString &expected)
{
    WireMessage again;
    switch (m.event) {
    case Event::Media: again = p.encodeMedia(m.streamId, m.audio); break;
    case Event::Mark: again = p.encodeMark(m.streamId, m.markName); break;
    case Event::Clear: again = p.encodeClear(m.streamId); break;
    default: return; // Plivo's sendDTMF: PaceLab never encodes one
    }
    const ParseResult r2 = p.parseFromBot(again.data, again.binary, expected);
    FUZZ_CHECK(r2.ok(), "%s: re-encoded bot %s rejected: %s", nameOf(p), qPrintable(eventName(m.event)), qPrintable(r2.detail));
    const Message &m2 = r2.message;
    FUZZ_CHECK(m2.event == m.event && m2.audio == m.audio, "%s: bot %s changed on round trip (audio %lld -> %lld B)",
               nameOf(p), qPrintable(eventName(m.event)), (long long)m.audio.size(), (long long)m2.audio.size());
    FUZZ_CHECK(m2.markName == m.markName, "%s: mark name '%s' came back as '%s'", nameOf(p), qPrintable(m.markName),
               qPrintable(m2.markName));
}

// Media from the provider, re-encoded as the emulator would send it, parses to the same audio.
void roundTripFromProvider(const Profile &p, const Message &m, const QString &expected)
{
    if (m.event != Event::Media)
        return;
    StartParams sp;
    sp.streamId = m.streamId.isEmpty() ? kStreamId : m.streamId;
    qint64 sequence = m.sequenceNumber > 0 ? m.sequenceNumber - 1 : 0; // the encoder increments first
    const WireMessage again =
        p.encodeInboundMedia(sp, &sequence, m.chunk >= 0 ? m.chunk : 1, m.timestampMs >= 0 ? m.timestampMs : 0, m.audio);
    const ParseResult r2 = p.parseFromProvider(again.data, again.binary, expected);
    FUZZ_CHECK(r2.ok(), "%s: re-encoded provider media rejected: %s", nameOf(p), qPrintable(r2.detail));
    FUZZ_CHECK(r2.message.event == Event::Media && r2.message.audio == m.audio,
               "%s: provider media changed on round trip (%lld -> %lld B)", nameOf(p), (long long)m.audio.size(),
               (long long)r2.message.audio.size());
    if (m.chunk >= 0)
        FUZZ_CHECK(r2.message.chunk == m.chunk, "%s: chunk %lld came back as %lld", nameOf(p), (long long)m.chunk,
                   (long long)r2.message.chunk);
    if (m.timestampMs >= 0)
        FUZZ_CHECK(r2.message.timestampMs == m.timestampMs, "%s: timestamp %lld came back as %lld", nameOf(p),
                   (long long)m.timestampMs, (long long)r2.message.timestampMs);
}

void recognizeAll(const QByteArray &data, bool binary)
{
    int best = 0;
    int scores[5] = {};
    for (Id id : allIds()) {
        const int score = profile(id).recognize(data, binary);
        FUZZ_CHECK(score >= 0 && score <= 100, "%s: recognize() = %d", nameOf(profile(id)), score);
        scores[int(id)] = score;
        best = std::max(best, score);
    }
    const std::optional<Id> d = detect({WireMessage{data, binary}});
    FUZZ_CHECK(d.has_value() == (best > 0), "detect() %s but the best score is %d", d ? "found one" : "found none", best);
    if (d)
        FUZZ_CHECK(scores[int(*d)] == best, "detect() chose %s (%d), not a best score (%d)", nameOf(profile(*d)),
                   scores[int(*d)], best);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t sel = data[0];
    const Profile &p = profile(allIds().at((sel & 7) % allIds().size()));
    const bool fromProvider = sel & 8;
    const bool binary = sel & 16;
    const QString expected = (sel & 32) ? kStreamId : QString();
    const QByteArray msg(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    const char *dir = fromProvider ? "fromProvider" : "fromBot";
    auto parse = [&](const QString &id) {
        return fromProvider ? p.parseFromProvider(msg, binary, id) : p.parseFromBot(msg, binary, id);
    };
    const ParseResult r = parse(expected);
    checkConsistent(p, r, dir);
    if (r.ok()) {
        checkParsed(p, r, !fromProvider, binary, expected);
        if (fromProvider)
            roundTripFromProvider(p, r.message, expected);
        else
            roundTripFromBot(p, r.message, expected);
        // Checking the stream id only ever adds a refusal: without it, the same message.
        if (!expected.isEmpty()) {
            const ParseResult loose = parse(QString());
            FUZZ_CHECK(loose.ok() && loose.message.event == r.message.event && loose.message.audio == r.message.audio
                           && loose.message.streamId == r.message.streamId,
                       "%s %s: accepted with the stream id checked, not without (%s)", nameOf(p), dir,
                       qPrintable(loose.detail));
        }
    }
    recognizeAll(msg, binary);
    return 0;
}
