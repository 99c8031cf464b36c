#pragma once

// Shared JSON helpers for the JSON-framed provider profiles (Telnyx, Plivo): strict object and
// field checks whose messages name the field, base64 the way real providers decode it (whole
// 4-character groups, ASCII only), numbers that travel as strings, and ids in the providers'
// shapes. The first problem found wins; its code comes from the profile (Profile::codeFor).
#include "provider/Provider.h"

#include <QJsonObject>
#include <QJsonValue>

#include <initializer_list>

namespace pacelab::provider::json {

QByteArray compact(const QJsonObject &o);
QString typeName(const QJsonValue &v); // "string", "number", ...
QString base64(const QByteArray &bytes);

// A random RFC 4122 version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (upper-case on request).
QString uuid(bool upperCase = false);
// `n` random characters from `alphabet`.
QString randomChars(int n, const char *alphabet);

// The text of `data` as a JSON object. On failure fills `r` (InvalidJson / NotAnObject, code
// from `p`) and returns false. A binary frame is not handled here: callers decide what it means.
bool parseObject(const QByteArray &data, const Profile &p, ParseResult &r, QJsonObject *out);

// A shortened, printable quote of a value a peer sent, for messages.
QString quote(const QString &s, int max = 60);

// One check per line, the first failure wins. `where` names the message in messages ("media",
// "playAudio").
class Checker
{
public:
    Checker(ParseResult &r, const Profile &p, QString where) : m_r(r), m_p(p), m_where(std::move(where)) {}

    bool failed() const { return !m_r.ok(); }
    bool fail(ParseError e, const QString &detail);

    // Every key of `o` must be in `allowed`; `prefix` is "" or "media." and so on.
    bool onlyFields(const QJsonObject &o, const QString &prefix, std::initializer_list<const char *> allowed);

    bool require(const QJsonObject &o, const QString &key, const QString &path, QJsonValue::Type type, QJsonValue *out);
    bool requireString(const QJsonObject &o, const QString &key, const QString &path, QString *out, bool allowEmpty = true);
    bool requireObject(const QJsonObject &o, const QString &key, const QString &path, QJsonObject *out);
    // Present → must be a string (absent leaves *out unchanged and succeeds).
    bool optionalString(const QJsonObject &o, const QString &key, const QString &path, QString *out);
    bool optionalObject(const QJsonObject &o, const QString &key, const QString &path, QJsonObject *out);

    // A number that travels as a string of decimal digits ("sequence_number":"3").
    bool requireDigitString(const QJsonObject &o, const QString &key, const QString &path, qint64 *out);
    // A plain JSON integer (sampleRate: 8000).
    bool requireInteger(const QJsonObject &o, const QString &key, const QString &path, qint64 *out);
    // Either of the two, as tolerant readers and loosely documented fields need.
    bool requireIntegerOrDigits(const QJsonObject &o, const QString &key, const QString &path, qint64 *out);
    bool optionalIntegerOrDigits(const QJsonObject &o, const QString &key, const QString &path, qint64 *out);

    bool requireStringArray(const QJsonObject &o, const QString &key, const QString &path, QStringList *out);

    // Standard base64 as providers decode it: ASCII, whole 4-character groups, valid alphabet.
    bool decodeBase64(const QString &b64, const QString &path, QByteArray *out);
    // A RIFF/WAVE header in what should be raw audio; `want` says what the provider wants
    // ("raw 8 kHz mu-law"). Clears *payload on failure.
    bool refuseRiff(QByteArray *payload, const QString &path, const QString &want);

    bool checkStreamId(const QString &got, const QString &expected, const QString &path);

private:
    ParseResult &m_r;
    const Profile &m_p;
    QString m_where;
};

} // namespace pacelab::provider::json
