#pragma once

#include "LogDoctor.h"

#include <QHash>
#include <QMap>

#include <deque>
#include <vector>

// Per-stream grouping: metric lines go to the stream of their call/stream id, each stream is
// analysed in blocks (bounded memory), and the report is assembled over all streams, worst
// first. Copyable, so a snapshot can finish a copy while the input goes on.
namespace pacelab::doctor {

struct StreamState
{
    QString id;
    std::vector<MetricLine> block;
    QMap<QString, Diagnosis> found; // by kind (+ sub-stream when split)
    qint64 active = 0, interior = 0, good = 0, idle = 0, qLow = 0;
    qint64 metricLines = 0, firstLine = 0, lastLine = 0;
};

struct Analysis
{
    Limits lim;
    std::vector<StreamState> streams;
    QHash<QString, int> index;
    qint64 buffered = 0;

    qint64 metricLines = 0;
    std::deque<MetricLine> tail;
    QList<PlotPoint> plot;
    int stride = 1;
    PlotPoint bucket;
    int bucketCount = 0;
    double fpsMin = 0, fpsMax = 0, fpsSum = 0, qMax = -1, dropsTotal = 0;

    void add(MetricLine &&m);
    void analyzeBlock(StreamState &st);
    void pushPlot(const PlotPoint &p);
    void merge(StreamState &st, const QList<Diagnosis> &ds, const QString &sub);
    void fill(Report &r); // analyses what is buffered and writes the figures and diagnoses
};

} // namespace pacelab::doctor
