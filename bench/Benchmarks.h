#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace pacelab::bench {

struct Benchmark
{
    QString name;
    QString summary;
    int (*run)(const QStringList &args);
};

inline QList<Benchmark> &benchmarks()
{
    static QList<Benchmark> list;
    return list;
}

struct Registrar
{
    Registrar(const char *name, const char *summary, int (*fn)(const QStringList &))
    {
        benchmarks().append({QString::fromUtf8(name), QString::fromUtf8(summary), fn});
    }
};

} // namespace pacelab::bench
