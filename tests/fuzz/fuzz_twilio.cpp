// Twilio Media Streams messages (core/twilio/TwilioMessages), both directions: every input goes
// through parseFromBot (the emulator judging a bot, strict) and parseFromTwilio (the engine
// reading Twilio, tolerant), with and without a streamSid to match. Whatever parses must survive
// a re-encode and parse to the same message.
#include "FuzzCheck.h"

#include "twilio/TwilioMessages.h"

#include <QByteArray>

using namespace pacelab::twilio;

namespace {

const QString kSid = QStringLiteral("MZ00000000000000000000000000000000");

void checkConsistent(const ParseResult &r)
{
    FUZZ_CHECK(r.ok() == (r.error == ParseError::None), "ok() disagrees with error");
    FUZZ_CHECK(r.twilioCode == twilioCodeFor(r.error), "code %d for %s", r.twilioCode,
               qPrintable(parseErrorName(r.error)));
    if (!r.ok())
        FUZZ_CHECK(!r.detail.isEmpty(), "error %s without detail", qPrintable(parseErrorName(r.error)));
}

void fromBot(const QByteArray &json, const QString &expected)
{
    const ParseResult r = parseFromBot(json, expected);
    checkConsistent(r);
    if (!r.ok())
        return;
    const Message &m = r.message;
    FUZZ_CHECK(m.event == Event::Media || m.event == Event::Mark || m.event == Event::Clear, "bot sent %s",
               qPrintable(eventName(m.event)));
    if (!expected.isEmpty())
        FUZZ_CHECK(m.streamSid == expected, "streamSid not checked");
    QByteArray again;
    if (m.event == Event::Media)
        again = encodeMedia(m.streamSid, m.payload);
    else if (m.event == Event::Mark)
        again = encodeMark(m.streamSid, m.markName);
    else
        again = encodeClear(m.streamSid);
    const ParseResult r2 = parseFromBot(again, expected);
    FUZZ_CHECK(r2.ok(), "re-encoded bot message rejected: %s", qPrintable(r2.detail));
    FUZZ_CHECK(r2.message.event == m.event && r2.message.streamSid == m.streamSid
                   && r2.message.payload == m.payload && r2.message.markName == m.markName,
               "bot message changed on round trip");
}

void fromTwilio(const QByteArray &json, const QString &expected)
{
    const ParseResult r = parseFromTwilio(json, expected);
    checkConsistent(r);
    if (!r.ok())
        return;
    const Message &m = r.message;
    FUZZ_CHECK(m.event != Event::Unknown && m.event != Event::Clear, "Twilio sent %s", qPrintable(eventName(m.event)));
    if (!expected.isEmpty() && m.event != Event::Connected)
        FUZZ_CHECK(m.streamSid == expected, "streamSid not checked");
    QByteArray again;
    switch (m.event) {
    case Event::Media:
        again = encodeInboundMedia(m.streamSid, m.sequenceNumber, m.chunk, m.timestampMs, m.payload, m.track);
        break;
    case Event::Mark: again = encodeMarkEcho(m.streamSid, m.sequenceNumber, m.markName); break;
    case Event::Stop:
        again = encodeStop(m.streamSid, m.sequenceNumber, m.start.accountSid, m.start.callSid);
        break;
    case Event::Dtmf: again = encodeDtmf(m.streamSid, m.sequenceNumber, m.digit); break;
    default: return; // connected carries nothing to compare; start's extras are free-form
    }
    const ParseResult r2 = parseFromTwilio(again, expected);
    FUZZ_CHECK(r2.ok(), "re-encoded Twilio message rejected: %s", qPrintable(r2.detail));
    const Message &m2 = r2.message;
    FUZZ_CHECK(m2.event == m.event && m2.streamSid == m.streamSid && m2.sequenceNumber == m.sequenceNumber
                   && m2.chunk == m.chunk && m2.timestampMs == m.timestampMs && m2.payload == m.payload
                   && m2.markName == m.markName && m2.digit == m.digit
                   && m2.start.accountSid == m.start.accountSid && m2.start.callSid == m.start.callSid,
               "Twilio message changed on round trip");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    fromBot(json, QString());
    fromBot(json, kSid);
    fromTwilio(json, QString());
    fromTwilio(json, kSid);
    checkConsistent(binaryFrameFromBot(qsizetype(size)));
    return 0;
}
