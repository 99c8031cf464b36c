#include "Shard.h"

#include <QRegularExpression>

namespace pacelab {

QString ShardSpec::label() const
{
    return sharded() ? QStringLiteral("%1/%2").arg(index).arg(count) : QString();
}

bool parseShard(const QString &text, ShardSpec *shard, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("--shard wants INDEX/COUNT (0-based, e.g. 0/4 .. 3/4), got '%1': %2").arg(text, why);
        return false;
    };
    static const QRegularExpression form(QStringLiteral("^\\s*(\\d{1,9})\\s*/\\s*(\\d{1,9})\\s*$"));
    const QRegularExpressionMatch m = form.match(text);
    if (!m.hasMatch())
        return fail(QStringLiteral("not two whole numbers separated by '/'"));
    const int index = m.captured(1).toInt();
    const int count = m.captured(2).toInt();
    if (count < 1)
        return fail(QStringLiteral("COUNT must be at least 1"));
    if (count > kMaxShards)
        return fail(QStringLiteral("COUNT must be at most %1").arg(kMaxShards));
    if (index >= count)
        return fail(QStringLiteral("INDEX must be below COUNT (shards are numbered from 0, the last is %1/%2)")
                        .arg(count - 1)
                        .arg(count));
    shard->index = index;
    shard->count = count;
    return true;
}

namespace {

QString sidFor(const char *prefix, const ShardSpec &shard, int stepCalls, int callIndex)
{
    auto hex8 = [](int v) { return QStringLiteral("%1").arg(quint32(v), 8, 16, QLatin1Char('0')); };
    return QLatin1String(prefix) + hex8(shard.index) + hex8(shard.count) + hex8(stepCalls) + hex8(callIndex);
}

} // namespace

QString callSidFor(const ShardSpec &shard, int stepCalls, int callIndex)
{
    return sidFor("CA", shard, stepCalls, callIndex);
}

QString streamSidFor(const ShardSpec &shard, int stepCalls, int callIndex)
{
    return sidFor("MZ", shard, stepCalls, callIndex);
}

} // namespace pacelab
