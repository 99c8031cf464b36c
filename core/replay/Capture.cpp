// Capture records (docs/capture-format.md): the shared types of the writer
// (CaptureWriter.cpp) and the reader (CaptureReader.cpp, CaptureFormats.cpp).
#include "Capture.h"

#include <QJsonDocument>

#include <chrono>

namespace pacelab::capture {

namespace {
bool isValidUtf8(const QByteArray &b)
{
    return QString::fromUtf8(b).toUtf8() == b;
}
} // namespace

qint64 steadyNowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QString dirName(Dir d)
{
    return d == Dir::Out ? QStringLiteral("out") : QStringLiteral("in");
}

QJsonObject withProvider(QJsonObject header, const QString &providerName)
{
    if (!header.contains(QLatin1String(kProviderField)))
        header.insert(QLatin1String(kProviderField), providerName);
    return header;
}

QString typeName(Record::Type t)
{
    switch (t) {
    case Record::Type::Header: return QString::fromLatin1(kHeaderType);
    case Record::Type::Message: return QStringLiteral("msg");
    case Record::Type::TxTelemetry: return QStringLiteral("tx-telemetry");
    case Record::Type::RxSecond: return QStringLiteral("rx-second");
    case Record::Type::Event: return QStringLiteral("event");
    }
    return {};
}

Record Record::message(qint64 tUs, Dir dir, MsgKind kind, const QByteArray &data)
{
    Record r;
    r.type = Type::Message;
    r.tUs = tUs;
    r.dir = dir;
    r.kind = kind;
    r.data = data;
    return r;
}

QJsonObject Record::toJson() const
{
    QJsonObject o = fields;
    o.insert(QStringLiteral("type"), typeName(type));
    if (type == Type::Header) {
        o.insert(QStringLiteral("version"), kFormatVersion);
        return o;
    }
    o.insert(QStringLiteral("t_us"), tUs);
    if (type == Type::Message) {
        o.insert(QStringLiteral("dir"), dirName(dir));
        o.insert(QStringLiteral("kind"), kind == MsgKind::Text ? QStringLiteral("text") : QStringLiteral("binary"));
        if (kind == MsgKind::Binary)
            o.insert(QStringLiteral("data"), QString::fromLatin1(data.toBase64()));
        else if (isValidUtf8(data))
            o.insert(QStringLiteral("data"), QString::fromUtf8(data));
        else // a text frame that is not UTF-8 (a 31924 case): keep the exact bytes
            o.insert(QStringLiteral("data_b64"), QString::fromLatin1(data.toBase64()));
    }
    return o;
}

QByteArray Record::toLine() const
{
    return QJsonDocument(toJson()).toJson(QJsonDocument::Compact) + '\n';
}

bool Record::operator==(const Record &o) const
{
    return type == o.type && tUs == o.tUs && dir == o.dir && kind == o.kind && data == o.data
        && fields == o.fields;
}

} // namespace pacelab::capture
