#pragma once

#include "LogDoctor.h"
#include "Wording.h"

#include <vector>

// One stream's consecutive metric lines, classified second by second, plus what the detectors
// share (the queue bound, which seconds a finding already covers). Detectors read it and append
// to `out`; analyzeStream() runs them in order.
namespace pacelab::doctor {

// Thresholds (reasoning in docs/log-doctor.md).
constexpr double kNominalFps = 50.0;
constexpr double kHealthyTol = 1.0;     // 49..51: a frame crossing the second boundary
constexpr double kBacklogTol = 3.0;     // 47..53: "fps about 50" while the queue backs up
constexpr double kStallFps = 40.0;      // "well below 50": 20 % of the audio missing
constexpr double kLowFps = 45.0;        // under this with an empty queue: audio gaps
constexpr double kHighFps = 55.0;
constexpr double kQueueLow = 10.0;      // checklist: q mostly < 10
constexpr double kDefaultBound = 120.0; // checklist: tx_q = 120
constexpr double kFullFraction = 0.8;
constexpr double kSteadyMad = 2.0;      // "steady": median absolute deviation within ±2 fps
constexpr int kFrameSizeMinRun = 4;
constexpr int kStarvedMinRun = 3;
constexpr int kBacklogMinRun = 3;
constexpr int kRateOffMinRun = 3;       // seconds well off 50 that are always a problem
constexpr double kRateOffFps = 6.0;     // "well off 50": beyond ±2 fps noise and boundary wobble

enum class St { Idle, Stall, Backlog, LowEmpty, HighFps, Good, Other };

struct StreamResult
{
    QList<Diagnosis> diagnoses;
    qint64 active = 0;   // non-idle seconds
    qint64 interior = 0; // active and not at the edge of a stretch
    qint64 good = 0;     // interior seconds at fps 49..51, q < 10, no drops
    qint64 idle = 0;
    qint64 qLow = 0;     // active seconds with q < 10 (or q unknown)
};

class StreamContext
{
public:
    StreamContext(const std::vector<MetricLine> &series, const Limits &limits);
    StreamContext(std::vector<MetricLine> &&, const Limits &) = delete; // keeps a reference

    const std::vector<MetricLine> &s;
    const Limits &lim;
    std::vector<double> f;       // fps, normalised to the line's real interval when timestamped
    std::vector<St> st;
    std::vector<bool> edge;      // first/last second of a talk stretch: partial
    std::vector<bool> explained; // covered by a finding with drops (for the drops detector)
    std::vector<bool> covered;   // covered by any warning/problem finding (for RateOff)
    double bound = kDefaultBound;
    bool boundKnown = false;
    QString boundText;
    double fullLevel = kDefaultBound * kFullFraction;
    bool driftSlow = false;
    QList<Diagnosis> out;
    StreamResult counts;

    size_t size() const { return s.size(); }
    double qOf(size_t i) const { return s[i].q < 0 ? 0.0 : s[i].q; }
    bool hasQ(size_t i) const { return s[i].q >= 0; }
    double dropsOf(size_t i) const { return s[i].drops < 0 ? 0.0 : s[i].drops; }
    bool isIdle(size_t i) const { return s[i].fps <= 0 && qOf(i) <= 0 && dropsOf(i) <= 0; }
    bool full(size_t i) const { return hasQ(i) && qOf(i) >= fullLevel; }
    void cover(size_t a, size_t b);

    // Cited lines for a run [a, b]: the line before it, its start, worst, first drop, end.
    QList<Evidence> evidenceFor(size_t a, size_t b, size_t worst, bool withContext = true) const;
    void addEvidence(QList<Evidence> &list, size_t i) const;
};

// Small helpers shared by the detectors.
QString fmt(double v);
QString lineRange(qint64 a, qint64 b);
double median(std::vector<double> v);
double mad(const std::vector<double> &v, double med);

// Calls fn(first, last) for every maximal run of `state` in `states`.
template <typename States, typename State, typename Fn>
void forEachRun(const States &states, State state, Fn fn)
{
    const size_t n = states.size();
    for (size_t i = 0; i < n;) {
        if (states[i] != state) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && states[j + 1] == state)
            ++j;
        fn(i, j);
        i = j + 1;
    }
}

// The detectors, one per failure mode (each in its own file), in the order they run.
void detectStalls(StreamContext &c);
void detectCatchUp(StreamContext &c);
void detectDrift(StreamContext &c); // before backlog: a slow sender explains a growing queue
void detectBacklog(StreamContext &c);
void detectRate(StreamContext &c);  // frames too big/small, two loops, starved producer
void detectDrops(StreamContext &c);
void detectRateOff(StreamContext &c); // last: any stretch well off 50 nothing above explained

// Runs every detector on one stream (one block of it).
StreamResult analyzeStream(const std::vector<MetricLine> &series, const Limits &limits);

// Lines of several streams mixed without ids: the number of streams (2 or 3), else 0.
int interleavedStreams(const std::vector<MetricLine> &series);

// Ranking of kinds among equal severities: root causes before their consequences.
int kindRank(Kind k);

} // namespace pacelab::doctor
