#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace pacelab::bench {

// Yes: main() creates a QApplication (widgets; offscreen when there is no display).
enum class NeedsGui { No, Yes };

struct Benchmark
{
    QString name;
    QString summary;
    int (*run)(const QStringList &args);
    NeedsGui gui = NeedsGui::No;
};

inline QList<Benchmark> &benchmarks()
{
    static QList<Benchmark> list;
    return list;
}

struct Registrar
{
    Registrar(const char *name, const char *summary, int (*fn)(const QStringList &), NeedsGui gui = NeedsGui::No)
    {
        benchmarks().append({QString::fromUtf8(name), QString::fromUtf8(summary), fn, gui});
    }
};

} // namespace pacelab::bench
