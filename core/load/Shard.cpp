#include "Shard.h"

#include "LoadReport.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

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

// ---- reading and merging ----------------------------------------------------------------------

bool readLoadRunFile(const QString &path, LoadRun *run, QString *error)
{
    auto fail = [&](const QString &problem) {
        if (error)
            *error = QStringLiteral("'%1': %2").arg(path, problem);
        return false;
    };
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(f.errorString());
    constexpr qint64 kMaxBytes = 512LL * 1024 * 1024; // ~1 KB per call: far above any real run
    if (f.size() > kMaxBytes)
        return fail(QStringLiteral("too large for a load report (%1 MB, at most 512 MB)").arg(f.size() / (1024 * 1024)));
    const QByteArray bytes = f.read(kMaxBytes + 1);
    if (bytes.isEmpty())
        return fail(QStringLiteral("empty file, not a load report"));
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &pe);
    if (pe.error != QJsonParseError::NoError)
        return fail(QStringLiteral("not JSON (%1 at byte %2)").arg(pe.errorString()).arg(pe.offset));
    if (!doc.isObject())
        return fail(QStringLiteral("not a load report (the JSON is not an object)"));
    QString e;
    LoadRun r = LoadRun::fromJson(doc.object(), &e);
    if (!e.isEmpty())
        return fail(e);
    *run = r;
    return true;
}

bool mergeLoadRuns(const QList<LoadRun> &runs, LoadRun *merged, QString *error)
{
    QStringList names;
    for (qsizetype i = 0; i < runs.size(); ++i)
        names.append(QStringLiteral("run %1").arg(i + 1));
    return mergeLoadRuns(runs, names, merged, error);
}

bool mergeLoadRuns(const QList<LoadRun> &runs, const QStringList &sources, LoadRun *merged, QString *error)
{
    auto fail = [&](const QString &m) {
        if (error)
            *error = m;
        return false;
    };
    auto name = [&](qsizetype i) { return i < sources.size() ? sources.at(i) : QStringLiteral("run %1").arg(i + 1); };
    if (runs.isEmpty())
        return fail(QStringLiteral("nothing to merge"));
    auto targets = [](const LoadRun &r) {
        QList<int> t;
        for (const LoadStep &s : r.steps)
            t.append(s.targetCalls);
        std::sort(t.begin(), t.end());
        return t;
    };
    auto listText = [](const QList<int> &t) {
        QStringList s;
        for (int v : t)
            s.append(QString::number(v));
        return s.isEmpty() ? QStringLiteral("none") : s.join(QStringLiteral(", "));
    };
    const QList<int> firstTargets = targets(runs.first());
    int shardCount = -1;
    qsizetype shardCountFrom = -1;
    QHash<QString, qsizetype> sidFrom;
    for (qsizetype i = 0; i < runs.size(); ++i) {
        const LoadRun &r = runs.at(i);
        if (r.botUrl != runs.first().botUrl)
            return fail(QStringLiteral("%1 ran against '%2' but %3 against '%4': only runs against the same bot can be merged")
                            .arg(name(i), r.botUrl, name(0), runs.first().botUrl));
        if (r.provider != runs.first().provider)
            return fail(QStringLiteral("%1 spoke %2 but %3 spoke %4: only runs with the same --provider can be merged")
                            .arg(name(i), r.provider, name(0), runs.first().provider));
        const QList<int> t = targets(r);
        if (t != firstTargets)
            return fail(QStringLiteral("%1 has steps %2 but %3 has %4: merge runs made with the same --calls/--steps")
                            .arg(name(i), listText(t), name(0), listText(firstTargets)));
        if (QSet<int>(t.cbegin(), t.cend()).size() != t.size())
            return fail(QStringLiteral("%1 has the same step twice (%2)").arg(name(i), listText(t)));
        for (const QString &label : r.shard.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const int n = label.section(QLatin1Char('/'), 1, 1).toInt();
            if (shardCount < 0) {
                shardCount = n;
                shardCountFrom = i;
            } else if (n != shardCount) {
                return fail(QStringLiteral("%1 is shard %2 but %3 was split in %4 shards: merge shards of one run")
                                .arg(name(i), label, name(shardCountFrom), QString::number(shardCount)));
            }
        }
        for (const LoadStep &s : r.steps)
            for (const CallResult &c : s.calls) {
                for (const QString &sid : {c.callSid, c.streamSid}) {
                    if (sid.isEmpty())
                        continue;
                    const QString key = QString::number(s.targetCalls) + QLatin1Char('|') + sid;
                    const auto it = sidFrom.constFind(key);
                    if (it != sidFrom.cend())
                        return fail(QStringLiteral("SID %1 (step %2) is in both %3 and %4: the same shard twice, or "
                                                   "shards run without distinct --shard values")
                                        .arg(sid, QString::number(s.targetCalls), name(it.value()), name(i)));
                    sidFrom.insert(key, i);
                }
            }
    }

    LoadRun m;
    m.botUrl = runs.first().botUrl;
    m.provider = runs.first().provider;
    QStringList hosts, shards;
    for (const LoadRun &r : runs) {
        if (m.startedUtc.isEmpty() || (!r.startedUtc.isEmpty() && r.startedUtc < m.startedUtc))
            m.startedUtc = r.startedUtc;
        if (!r.host.isEmpty() && !hosts.contains(r.host))
            hosts.append(r.host);
        for (const QString &label : r.shard.split(QLatin1Char(','), Qt::SkipEmptyParts))
            shards.append(label);
    }
    std::sort(shards.begin(), shards.end(), [](const QString &a, const QString &b) {
        return a.section(QLatin1Char('/'), 0, 0).toInt() < b.section(QLatin1Char('/'), 0, 0).toInt();
    });
    m.host = hosts.join(QLatin1Char(','));
    m.shard = shards.join(QLatin1Char(','));
    for (int target : firstTargets) {
        LoadStep step;
        double cpuSum = 0.0;
        int cpuParts = 0;
        for (const LoadRun &r : runs)
            for (const LoadStep &s : r.steps) {
                if (s.targetCalls != target)
                    continue;
                step.targetCalls += s.targetCalls;
                step.callsUp += s.callsUp;
                step.callsFailed += s.callsFailed;
                step.durationSec = std::max(step.durationSec, s.durationSec);
                if (s.cpuPerCallPct >= 0) {
                    cpuSum += s.cpuPerCallPct;
                    ++cpuParts;
                }
                step.calls.append(s.calls);
            }
        step.cpuPerCallPct = cpuParts > 0 ? cpuSum / cpuParts : -1.0;
        m.steps.append(step);
    }
    *merged = m;
    return true;
}

} // namespace pacelab
