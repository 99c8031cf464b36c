#pragma once

#include "provider/ProfileJson.h"

// JSON helpers shared by the Vonage and Exotel profiles: strict checks that stop at the first
// problem and name the field ("media.payload is not valid base64"), in the style of
// twilio/TwilioMessages. Error codes come from the profile (Profile::codeFor), so each
// provider keeps its own numbering.
#include "provider/Provider.h"

#include <QJsonObject>
#include <QJsonValue>

#include <initializer_list>

namespace pacelab::provider::pcm {

// The JSON helpers the Telnyx/Plivo profiles use (ProfileJson.h): one copy of each.
using json::compact;
using json::typeName;

// A random id: prefix + 32 lowercase hex digits ("MZ3f0c...").
QString hexId(const QString &prefix);
// A random RFC 4122 version-4 UUID, lowercase, as Vonage call UUIDs look.
inline QString uuid4() { return json::uuid(false); }

bool isRiff(const QByteArray &bytes);
// "RIFF/WAVE" or "RIFF", for messages about a WAV header where raw audio is wanted.
QString riffKind(const QByteArray &bytes);
// True when `text` could be a base64 string (and nothing else): raw audio sent as text.
bool looksLikeBase64(const QByteArray &text);

// Fills `r` with `e`, the profile's code and `detail`, unless it already holds an error.
void setError(ParseResult &r, const Profile &p, ParseError e, const QString &detail);

// The message as a JSON object; on failure `r` says why (InvalidJson / NotAnObject).
bool parseObject(const QByteArray &json, ParseResult &r, const Profile &p, QJsonObject *out);

// Small state holder so each check is one line and the first problem wins.
class Checker
{
public:
    Checker(ParseResult &r, const Profile &p, QString where) : m_r(r), m_p(p), m_where(std::move(where)) {}

    bool failed() const { return !m_r.ok(); }
    bool fail(ParseError e, const QString &detail);

    // Every key of `o` must be in `allowed`; `prefix` is "" or "media." for nested objects.
    // `hint(key)` may explain a likely mistake ("Exotel spells it stream_sid").
    bool onlyFields(const QJsonObject &o, const QString &prefix, std::initializer_list<const char *> allowed,
                    QString (*hint)(const QString &key) = nullptr);
    bool require(const QJsonObject &o, const QString &key, const QString &path, QJsonValue::Type type, QJsonValue *out);
    bool requireString(const QJsonObject &o, const QString &key, const QString &path, QString *out, bool allowEmpty = true);
    bool requireObject(const QJsonObject &o, const QString &key, const QString &path, QJsonObject *out);
    // A non-negative integer sent either as a string of digits ("3", as Exotel's examples show)
    // or as a JSON number.
    bool requireCount(const QJsonObject &o, const QString &key, const QString &path, qint64 *out);
    // The same when present; `*out` is left alone when absent.
    bool optionalCount(const QJsonObject &o, const QString &key, const QString &path, qint64 *out);
    bool optionalString(const QJsonObject &o, const QString &key, const QString &path, QString *out);
    // Strict standard base64 with padding (what the providers decode).
    bool decodeBase64(const QString &b64, const QString &path, QByteArray *out);

private:
    ParseResult &m_r;
    const Profile &m_p;
    QString m_where;
};

} // namespace pacelab::provider::pcm
