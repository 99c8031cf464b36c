#pragma once

#include "CheckTypes.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

// Checklist reports: JUnit XML for CI, JSON with every figure, and a self-contained HTML page
// with per-second inline-SVG charts. Each writer returns false with a specific *error (path and
// reason) when the file cannot be written; nothing is left half-written (QSaveFile).
namespace pacelab::check {

struct ReportMeta
{
    QDateTime startedAt;      // invalid = now
    double totalSec = -1.0;   // < 0 = sum of the scenarios' durations
    QJsonObject config;       // CheckConfig::toJson()
    QString target;           // CheckConfig::describeTarget()
    QString provider;         // "twilio": the protocol spoken; empty = config's, else twilio
    QString format;           // "8 kHz mu-law, 20 ms frames (160 B)"; empty = the provider's
    QString hostName;         // empty = this machine's

    static ReportMeta from(const CheckConfig &cfg, const QDateTime &startedAt, double totalSec);
};

struct ReportCounts
{
    int total = 0, passed = 0, failed = 0, errors = 0, skipped = 0;
    static ReportCounts of(const QList<ScenarioResult> &results);
};

bool writeJUnit(const QList<ScenarioResult> &results, const QString &path, QString *error,
                const ReportMeta &meta = {});
bool writeJson(const QList<ScenarioResult> &results, const QString &path, QString *error,
               const ReportMeta &meta = {});
bool writeHtml(const QList<ScenarioResult> &results, const QString &path, QString *error,
               const ReportMeta &meta = {});

// The same documents in memory (the UI previews them; tests parse them back).
QByteArray junitXml(const QList<ScenarioResult> &results, const ReportMeta &meta = {});
QJsonObject reportJson(const QList<ScenarioResult> &results, const ReportMeta &meta = {});
QByteArray reportHtml(const QList<ScenarioResult> &results, const ReportMeta &meta = {});

// Checks up front that `path` can be written (directory exists and is writable, path is not a
// directory) so a CLI run fails with usage error 2 before minutes of scenarios, not after.
// pacelab::checkOutputPath with the messages naming a "report".
bool checkWritable(const QString &path, QString *error);

} // namespace pacelab::check
