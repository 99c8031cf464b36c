// `pacelab-bench doctor [DIR]`: the log doctor's measured accuracy. Runs the doctor on every log
// listed in DIR/EXPECTED.txt (default: the repository's tests/data/doctor; one "file kind" per
// line) and prints the confusion matrix of expected vs top cause, the share right, and whether
// any healthy log came out as a PROBLEM (targets: >= 95 % right, never).
#include "Benchmarks.h"

#include "doctor/LogDoctor.h"

#include <QDir>
#include <QFile>
#include <QMap>
#include <QTextStream>

using namespace pacelab;

namespace {

int runDoctorBench(const QStringList &args)
{
    QTextStream out(stdout);
    const QString dir = args.isEmpty() ? QStringLiteral(PACELAB_SOURCE_DIR "/tests/data/doctor") : args.first();
    QFile manifest(QDir(dir).filePath(QStringLiteral("EXPECTED.txt")));
    if (!manifest.open(QIODevice::ReadOnly)) {
        QTextStream(stderr) << "pacelab-bench doctor: cannot read " << manifest.fileName() << "\n";
        return 2;
    }
    QMap<QString, QMap<QString, int>> matrix; // expected -> got -> count
    QStringList kinds;
    int total = 0, right = 0, healthyProblems = 0;
    QStringList wrong;
    for (const QByteArray &raw : manifest.readAll().split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const QList<QByteArray> parts = line.simplified().split(' ');
        if (parts.size() < 2)
            continue;
        const QString file = QString::fromUtf8(parts[0]), expect = QString::fromUtf8(parts[1]);
        const doctor::Report r = doctor::LogDoctor::analyzeFile(QDir(dir).filePath(file));
        const QString got = !r.inputOk ? QStringLiteral("unusable")
            : r.diagnoses.isEmpty()    ? QStringLiteral("none")
                                       : doctor::kindName(r.diagnoses.first().kind);
        ++matrix[expect][got];
        for (const QString &k : {expect, got})
            if (!kinds.contains(k))
                kinds << k;
        ++total;
        if (got == expect)
            ++right;
        else
            wrong << QStringLiteral("%1: expected %2, got %3").arg(file, expect, got);
        if (expect == QLatin1String("healthy") && r.worst() == doctor::Severity::Problem)
            ++healthyProblems;
    }
    kinds.sort();
    out << "log doctor on " << total << " logs (" << dir << ")\n\nexpected \\ top cause\n";
    out << QStringLiteral("%1").arg(QString(), -18);
    for (const QString &k : kinds)
        out << QStringLiteral("%1").arg(k.left(12), 13);
    out << "\n";
    for (const QString &e : kinds) {
        if (!matrix.contains(e))
            continue;
        out << QStringLiteral("%1").arg(e, -18);
        for (const QString &g : kinds)
            out << QStringLiteral("%1").arg(matrix[e].value(g) ? QString::number(matrix[e].value(g)) : QStringLiteral("."), 13);
        out << "\n";
    }
    out << "\ntop cause right: " << right << "/" << total << QStringLiteral(" (%1 %)").arg(total ? 100.0 * right / total : 0.0, 0, 'f', 1)
        << "   target >= 95 %\nhealthy logs diagnosed PROBLEM: " << healthyProblems << "   target 0\n";
    for (const QString &w : wrong)
        out << "  " << w << "\n";
    return 0;
}

const bench::Registrar reg("doctor", "the log doctor's confusion matrix on tests/data/doctor (EXPECTED.txt)", runDoctorBench);

} // namespace
