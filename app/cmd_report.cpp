// `pacelab report merge A.json B.json ... [--json F] [--junit F] [--html F]`: joins the JSON
// reports of `pacelab load` runs made on several machines (shards) into one report, judged
// again with the checklist's limits. Options -> run (read, merge, judge) -> print.
#include "CliOutput.h"
#include "CliUtil.h"
#include "Commands.h"

#include "load/LoadReport.h"

#include <QCommandLineParser>

using namespace pacelab;
using namespace pacelab::app;

namespace {

const QString kCommand = QStringLiteral("report");
const QString kUsage = QStringLiteral("Usage: pacelab report merge FILE.json... [--json FILE] [--junit FILE] [--html FILE]\n");

struct ReportOptions
{
    QStringList files;
    QString jsonPath, junitPath, htmlPath;
    QString helpText;
};

Parse parseReportOptions(const QStringList &args, ReportOptions *o, QString *error)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "merge: joins the JSON reports of `pacelab load` runs made at the same time on several machines "
        "(`--shard i/n`) into one report: steps with the same call count are added up, every call is judged "
        "again and the knee is found over the total. Exit status: 0 every step holds, 1 a step broke, 2 bad "
        "usage or a file that cannot be read or merged."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("merge"), QStringLiteral("The action (only merge for now)."));
    parser.addPositionalArgument(QStringLiteral("FILE.json"), QStringLiteral("Reports written by pacelab load --json."), QStringLiteral("FILE.json..."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("Write the merged report as JSON to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption junitOpt(QStringLiteral("junit"), QStringLiteral("Write JUnit XML (one testcase per step) to FILE."), QStringLiteral("FILE"));
    const QCommandLineOption htmlOpt(QStringLiteral("html"), QStringLiteral("Write a self-contained HTML report to FILE."), QStringLiteral("FILE"));
    parser.addOption(jsonOpt);
    parser.addOption(junitOpt);
    parser.addOption(htmlOpt);

    if (const Parse p = parseCommandLine(parser, kCommand, args, &o->helpText, error); p != Parse::Run)
        return p;
    QStringList pos = parser.positionalArguments();
    if (pos.isEmpty()) {
        *error = QStringLiteral("missing action (merge).\n") + kUsage;
        return Parse::Usage;
    }
    if (pos.first() != QLatin1String("merge")) {
        *error = QStringLiteral("unknown action '%1' (expected merge).\n").arg(pos.first()) + kUsage;
        return Parse::Usage;
    }
    pos.removeFirst();
    if (pos.isEmpty()) {
        *error = QStringLiteral("merge needs at least one FILE.json.\n") + kUsage;
        return Parse::Usage;
    }
    o->files = pos;
    o->jsonPath = parser.value(jsonOpt);
    o->junitPath = parser.value(junitOpt);
    o->htmlPath = parser.value(htmlOpt);
    const QList<QPair<QString, QString>> outputs = {{QStringLiteral("json"), o->jsonPath},
                                                    {QStringLiteral("junit"), o->junitPath},
                                                    {QStringLiteral("html"), o->htmlPath}};
    for (const auto &[option, path] : outputs) {
        if (!path.isEmpty() && !checkOutputOption(option, path, error)) {
            *error += QLatin1Char('\n');
            return Parse::Usage;
        }
    }
    return Parse::Run;
}

struct ReportResult
{
    QString error; // a file could not be read or the files cannot be merged (exit 2)
    LoadRun merged;
};

ReportResult runReport(const ReportOptions &o)
{
    ReportResult r;
    QList<LoadRun> runs;
    for (const QString &file : o.files) {
        LoadRun run;
        if (!readLoadRunFile(file, &run, &r.error))
            return r;
        runs.append(run);
    }
    if (!mergeLoadRuns(runs, o.files, &r.merged, &r.error))
        return r;
    if (r.merged.steps.isEmpty()) {
        r.error = QStringLiteral("no steps in %1: nothing to judge").arg(o.files.join(QStringLiteral(", ")));
        return r;
    }
    judgeRun(r.merged, Thresholds());
    return r;
}

int printReport(const ReportOptions &o, const ReportResult &r)
{
    if (!r.error.isEmpty()) {
        err() << "pacelab report: " << r.error << "\n";
        return ExitUsage;
    }
    out() << loadTextReport(r.merged);
    QString error;
    if ((!o.jsonPath.isEmpty() && !writeLoadJson(r.merged, o.jsonPath, &error))
        || (!o.junitPath.isEmpty() && !writeLoadJUnit(r.merged, o.junitPath, &error))
        || (!o.htmlPath.isEmpty() && !writeLoadHtml(r.merged, o.htmlPath, &error))) {
        err() << "pacelab report: " << error << "\n";
        return ExitFailed;
    }
    for (const LoadStep &step : r.merged.steps)
        if (!summarizeStep(step).holds)
            return ExitFailed;
    return ExitOk;
}

int reportCommand(const QStringList &args)
{
    return runCommand(kCommand, args, parseReportOptions, [](const ReportOptions &o) { return printReport(o, runReport(o)); });
}

} // namespace

PACELAB_COMMAND(reportCommandReg, "report", "merge load-run JSON reports from several machines (report merge A.json B.json ...)", reportCommand);
