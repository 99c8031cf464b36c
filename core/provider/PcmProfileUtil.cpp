#include "provider/PcmProfileUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRandomGenerator>

namespace pacelab::provider::pcm {

QString hexId(const QString &prefix)
{
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    return prefix + QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof(words)).toHex());
}

bool isRiff(const QByteArray &bytes)
{
    return bytes.startsWith("RIFF");
}

QString riffKind(const QByteArray &bytes)
{
    return bytes.size() >= 12 && bytes.mid(8, 4) == "WAVE" ? QStringLiteral("RIFF/WAVE") : QStringLiteral("RIFF");
}

bool looksLikeBase64(const QByteArray &text)
{
    const QByteArray t = text.trimmed();
    if (t.size() < 8 || t.size() % 4 != 0)
        return false;
    for (char c : t) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
                        || c == '=';
        if (!ok)
            return false;
    }
    return true;
}

void setError(ParseResult &r, const Profile &p, ParseError e, const QString &detail)
{
    if (!r.ok())
        return;
    r.error = e;
    r.code = p.codeFor(e);
    r.detail = detail;
}

bool parseObject(const QByteArray &json, ParseResult &r, const Profile &p, QJsonObject *out)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        // Qt refuses a bare top-level value ("42"), which RFC 8259 calls valid JSON: say it is
        // not an object rather than not JSON.
        const QJsonDocument wrapped = QJsonDocument::fromJson('[' + json + ']');
        if (wrapped.isArray() && wrapped.array().size() == 1) {
            setError(r, p, ParseError::NotAnObject,
                     QStringLiteral("the message is a JSON %1, not an object").arg(typeName(wrapped.array().at(0))));
            return false;
        }
        setError(r, p, ParseError::InvalidJson,
                 json.trimmed().isEmpty() ? QStringLiteral("invalid JSON: the message is empty")
                                          : QStringLiteral("invalid JSON at offset %1: %2").arg(pe.offset).arg(pe.errorString()));
        return false;
    }
    if (!doc.isObject()) {
        setError(r, p, ParseError::NotAnObject, QStringLiteral("the message is a JSON array, not an object"));
        return false;
    }
    *out = doc.object();
    return true;
}

bool Checker::fail(ParseError e, const QString &detail)
{
    setError(m_r, m_p, e, detail);
    return false;
}

bool Checker::onlyFields(const QJsonObject &o, const QString &prefix, std::initializer_list<const char *> allowed,
                         QString (*hint)(const QString &key))
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        bool known = false;
        for (const char *a : allowed)
            if (it.key() == QLatin1String(a))
                known = true;
        if (known)
            continue;
        QString detail = QStringLiteral("unexpected field '%1%2' in %3").arg(prefix, it.key().left(60), m_where);
        const QString extra = hint ? hint(it.key()) : QString();
        if (!extra.isEmpty())
            detail += QStringLiteral(" (%1)").arg(extra);
        return fail(ParseError::UnexpectedField, detail);
    }
    return true;
}

bool Checker::require(const QJsonObject &o, const QString &key, const QString &path, QJsonValue::Type type, QJsonValue *out)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd())
        return fail(ParseError::MissingField, QStringLiteral("missing field '%1' in %2").arg(path, m_where));
    if (it->type() != type)
        return fail(ParseError::WrongType,
                    QStringLiteral("%1 must be a %2, got %3").arg(path, typeName(QJsonValue(type)), typeName(*it)));
    *out = *it;
    return true;
}

bool Checker::requireString(const QJsonObject &o, const QString &key, const QString &path, QString *out, bool allowEmpty)
{
    QJsonValue v;
    if (!require(o, key, path, QJsonValue::String, &v))
        return false;
    *out = v.toString();
    if (!allowEmpty && out->isEmpty())
        return fail(ParseError::MissingField, QStringLiteral("%1 is empty in %2").arg(path, m_where));
    return true;
}

bool Checker::requireObject(const QJsonObject &o, const QString &key, const QString &path, QJsonObject *out)
{
    QJsonValue v;
    if (!require(o, key, path, QJsonValue::Object, &v))
        return false;
    *out = v.toObject();
    return true;
}

bool Checker::requireCount(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd())
        return fail(ParseError::MissingField, QStringLiteral("missing field '%1' in %2").arg(path, m_where));
    if (it->isDouble()) {
        const double d = it->toDouble();
        if (!(d >= 0 && d <= 9.0e15) || d != double(qint64(d)))
            return fail(ParseError::WrongType, QStringLiteral("%1 must be a non-negative integer, got %2").arg(path).arg(d));
        *out = qint64(d);
        return true;
    }
    if (!it->isString())
        return fail(ParseError::WrongType,
                    QStringLiteral("%1 must be a string of digits or a number, got %2").arg(path, typeName(*it)));
    const QString s = it->toString();
    // The same bound as a JSON number: 9e15 has 16 digits (a profile writes its numbers as strings).
    bool digitsOnly = !s.isEmpty() && s.size() <= 16;
    for (QChar c : s)
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            digitsOnly = false;
    if (!digitsOnly || s.toLongLong() > 9'000'000'000'000'000LL)
        return fail(ParseError::WrongType, QStringLiteral("%1 '%2' is not a non-negative decimal integer").arg(path, s.left(40)));
    *out = s.toLongLong();
    return true;
}

bool Checker::optionalCount(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
{
    return !o.contains(key) || requireCount(o, key, path, out);
}

bool Checker::optionalString(const QJsonObject &o, const QString &key, const QString &path, QString *out)
{
    return !o.contains(key) || requireString(o, key, path, out);
}

bool Checker::decodeBase64(const QString &b64, const QString &path, QByteArray *out)
{
    for (QChar c : b64)
        if (c.unicode() > 0x7f)
            return fail(ParseError::PayloadNotBase64, QStringLiteral("%1 is not valid base64 (non-ASCII character)").arg(path));
    // Qt accepts unpadded input; standard decoders want whole 4-character groups.
    if (b64.size() % 4 != 0)
        return fail(ParseError::PayloadNotBase64,
                    QStringLiteral("%1 is not valid base64 (length %2 is not a multiple of 4: missing '=' padding?)")
                        .arg(path)
                        .arg(b64.size()));
    auto decoded = QByteArray::fromBase64Encoding(b64.toLatin1(),
                                                  QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return fail(ParseError::PayloadNotBase64, QStringLiteral("%1 is not valid base64").arg(path));
    *out = std::move(decoded.decoded);
    return true;
}

} // namespace pacelab::provider::pcm
