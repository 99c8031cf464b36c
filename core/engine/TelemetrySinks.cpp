#include "engine/TelemetrySinks.h"

#include <QJsonDocument>

#include <cstdio>

namespace pacelab {

QString TelemetrySinks::openJsonl(const QString &path)
{
    if (path.isEmpty() || m_jsonl.isOpen())
        return {};
    m_jsonl.setFileName(path);
    if (!m_jsonl.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text))
        return QStringLiteral("cannot open telemetry file '%1': %2").arg(path, m_jsonl.errorString());
    return {};
}

void TelemetrySinks::closeJsonl()
{
    if (m_jsonl.isOpen())
        m_jsonl.close();
}

void TelemetrySinks::publish(const TelemetrySnapshot &s)
{
    for (const auto &cb : m_callbacks)
        cb(s);
    if (m_jsonl.isOpen() || m_stdout)
        publishJson(s.toJson(), m_stdout ? s.toLine() : QString());
}

void TelemetrySinks::publishJson(const QJsonObject &o, const QString &line)
{
    if (m_jsonl.isOpen()) {
        m_jsonl.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        m_jsonl.flush();
    }
    if (m_stdout && !line.isEmpty()) {
        std::fputs(line.toLocal8Bit().constData(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
}

} // namespace pacelab
