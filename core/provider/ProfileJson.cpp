#include "provider/ProfileJson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRandomGenerator>

namespace pacelab::provider::json {

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("boolean");
    case QJsonValue::Double: return QStringLiteral("number");
    case QJsonValue::String: return QStringLiteral("string");
    case QJsonValue::Array: return QStringLiteral("array");
    case QJsonValue::Object: return QStringLiteral("object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("undefined");
}

QString base64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

QString uuid(bool upperCase)
{
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    QByteArray raw(reinterpret_cast<const char *>(words), sizeof(words));
    raw[6] = char((raw[6] & 0x0F) | 0x40); // version 4
    raw[8] = char((raw[8] & 0x3F) | 0x80); // RFC 4122 variant
    const QString hex = QString::fromLatin1(raw.toHex());
    const QString s = hex.mid(0, 8) + QLatin1Char('-') + hex.mid(8, 4) + QLatin1Char('-') + hex.mid(12, 4)
                      + QLatin1Char('-') + hex.mid(16, 4) + QLatin1Char('-') + hex.mid(20, 12);
    return upperCase ? s.toUpper() : s;
}

QString randomChars(int n, const char *alphabet)
{
    const int size = int(qstrlen(alphabet));
    QString s;
    s.reserve(n);
    for (int i = 0; i < n; ++i)
        s += QLatin1Char(alphabet[QRandomGenerator::global()->bounded(size)]);
    return s;
}

QString quote(const QString &s, int max)
{
    QString out;
    for (QChar c : s.left(max))
        out += (c.unicode() < 0x20 || c.unicode() == 0x7f) ? QChar(u'?') : c;
    return s.size() > max ? out + QStringLiteral("…") : out;
}

bool parseObject(const QByteArray &data, const Profile &p, ParseResult &r, QJsonObject *out)
{
    auto failWith = [&](ParseError e, const QString &detail) {
        r.error = e;
        r.code = p.codeFor(e);
        r.detail = detail;
        return false;
    };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &pe);
    if (pe.error != QJsonParseError::NoError) {
        // Qt refuses a bare top-level value ("42"), which RFC 8259 calls valid JSON: say it is
        // not an object rather than not JSON.
        const QJsonDocument wrapped = QJsonDocument::fromJson('[' + data + ']');
        if (wrapped.isArray() && wrapped.array().size() == 1)
            return failWith(ParseError::NotAnObject,
                            QStringLiteral("the message is a JSON %1, not an object").arg(typeName(wrapped.array().at(0))));
        return failWith(ParseError::InvalidJson,
                        data.trimmed().isEmpty()
                            ? QStringLiteral("invalid JSON: the message is empty")
                            : QStringLiteral("invalid JSON at offset %1: %2").arg(pe.offset).arg(pe.errorString()));
    }
    if (!doc.isObject())
        return failWith(ParseError::NotAnObject, QStringLiteral("the message is a JSON array, not an object"));
    *out = doc.object();
    return true;
}

bool Checker::fail(ParseError e, const QString &detail)
{
    if (m_r.ok()) {
        m_r.error = e;
        m_r.code = m_p.codeFor(e);
        m_r.detail = detail;
    }
    return false;
}

bool Checker::onlyFields(const QJsonObject &o, const QString &prefix, std::initializer_list<const char *> allowed)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        bool known = false;
        for (const char *a : allowed)
            if (it.key() == QLatin1String(a))
                known = true;
        if (!known) {
            QStringList names;
            for (const char *a : allowed)
                names << prefix + QLatin1String(a);
            return fail(ParseError::UnexpectedField, QStringLiteral("unexpected field '%1%2' in %3 (allowed: %4)")
                                                         .arg(prefix, quote(it.key()), m_where, names.join(QStringLiteral(", "))));
        }
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

bool Checker::optionalString(const QJsonObject &o, const QString &key, const QString &path, QString *out)
{
    return !o.contains(key) || requireString(o, key, path, out);
}

bool Checker::optionalObject(const QJsonObject &o, const QString &key, const QString &path, QJsonObject *out)
{
    return !o.contains(key) || requireObject(o, key, path, out);
}

namespace {

bool digitsToInt(const QString &s, qint64 *out)
{
    if (s.isEmpty() || s.size() > 18)
        return false;
    for (QChar c : s)
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return false;
    *out = s.toLongLong();
    return true;
}

bool doubleToInt(double d, qint64 *out)
{
    // 2^53: every integer below is exact in a double.
    if (!(d >= 0 && d <= 9007199254740992.0) || d != double(qint64(d)))
        return false;
    *out = qint64(d);
    return true;
}

} // namespace

bool Checker::requireDigitString(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd())
        return fail(ParseError::MissingField, QStringLiteral("missing field '%1' in %2").arg(path, m_where));
    if (!it->isString())
        return fail(ParseError::WrongType,
                    QStringLiteral("%1 must be a string of digits, got %2").arg(path, typeName(*it)));
    if (!digitsToInt(it->toString(), out))
        return fail(ParseError::WrongType,
                    QStringLiteral("%1 '%2' is not a non-negative decimal integer").arg(path, quote(it->toString(), 40)));
    return true;
}

bool Checker::requireInteger(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
{
    QJsonValue v;
    if (!require(o, key, path, QJsonValue::Double, &v))
        return false;
    if (!doubleToInt(v.toDouble(), out))
        return fail(ParseError::WrongType, QStringLiteral("%1 must be a non-negative integer, got %2").arg(path).arg(v.toDouble()));
    return true;
}

bool Checker::requireIntegerOrDigits(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
{
    const auto it = o.constFind(key);
    if (it == o.constEnd())
        return fail(ParseError::MissingField, QStringLiteral("missing field '%1' in %2").arg(path, m_where));
    if (it->isDouble()) {
        if (!doubleToInt(it->toDouble(), out))
            return fail(ParseError::WrongType,
                        QStringLiteral("%1 must be a non-negative integer, got %2").arg(path).arg(it->toDouble()));
        return true;
    }
    if (it->isString()) {
        if (!digitsToInt(it->toString(), out))
            return fail(ParseError::WrongType,
                        QStringLiteral("%1 '%2' is not a non-negative decimal integer").arg(path, quote(it->toString(), 40)));
        return true;
    }
    return fail(ParseError::WrongType,
                QStringLiteral("%1 must be a number (or a string of digits), got %2").arg(path, typeName(*it)));
}

bool Checker::optionalIntegerOrDigits(const QJsonObject &o, const QString &key, const QString &path, qint64 *out)
{
    return !o.contains(key) || requireIntegerOrDigits(o, key, path, out);
}

bool Checker::requireStringArray(const QJsonObject &o, const QString &key, const QString &path, QStringList *out)
{
    QJsonValue v;
    if (!require(o, key, path, QJsonValue::Array, &v))
        return false;
    out->clear();
    const QJsonArray arr = v.toArray();
    for (qsizetype i = 0; i < arr.size(); ++i) {
        if (!arr.at(i).isString())
            return fail(ParseError::WrongType,
                        QStringLiteral("%1[%2] must be a string, got %3").arg(path).arg(i).arg(typeName(arr.at(i))));
        *out << arr.at(i).toString();
    }
    return true;
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
        return fail(ParseError::PayloadNotBase64,
                    QStringLiteral("%1 is not valid base64 (a character outside A-Z a-z 0-9 + / =, or '=' in the middle)").arg(path));
    *out = std::move(decoded.decoded);
    return true;
}

bool Checker::refuseRiff(QByteArray *payload, const QString &path, const QString &want)
{
    if (!payload->startsWith("RIFF"))
        return true;
    const bool wave = payload->size() >= 12 && payload->mid(8, 4) == "WAVE";
    payload->clear();
    return fail(ParseError::PayloadIsRiff, QStringLiteral("%1 starts with a %2 file header: %3 without a header")
                                               .arg(path, wave ? QStringLiteral("RIFF/WAVE") : QStringLiteral("RIFF"), want));
}

bool Checker::checkStreamId(const QString &got, const QString &expected, const QString &path)
{
    if (expected.isEmpty() || got == expected)
        return true;
    return fail(ParseError::StreamIdMismatch,
                QStringLiteral("%1 '%2' does not match the stream '%3'").arg(path, quote(got, 80), expected));
}

} // namespace pacelab::provider::json
