#include "StreamContext.h"

#include <algorithm>
#include <cmath>

namespace pacelab::doctor {

QString fmt(double v)
{
    if (std::abs(v - std::round(v)) < 1e-9)
        return QString::number(qint64(std::llround(v)));
    return QString::number(v, 'f', 1);
}

QString lineRange(qint64 a, qint64 b)
{
    return a == b ? QStringLiteral("line %1").arg(a) : QStringLiteral("lines %1-%2").arg(a).arg(b);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mad(const std::vector<double> &v, double med)
{
    std::vector<double> d;
    d.reserve(v.size());
    for (double x : v)
        d.push_back(std::abs(x - med));
    return median(std::move(d));
}

int kindRank(Kind k)
{
    switch (k) {
    case Kind::CatchUpBurst: return 0;
    case Kind::SenderStalled: return 1;
    case Kind::TwoSenders: return 2;
    case Kind::FrameSize: return 3;
    case Kind::TimerDrift: return 4;
    case Kind::ProducerTooFast: return 5;
    case Kind::ProducerStarved: return 6;
    case Kind::RateOff: return 7;
    case Kind::SporadicDrops: return 8;
    case Kind::Interleaved: return 9;
    default: return 10;
    }
}

StreamContext::StreamContext(const std::vector<MetricLine> &series, const Limits &limits)
    : s(series), lim(limits)
{
    const size_t n = s.size();
    // The queue's bound: logged, else inferred from where drops happen, else the checklist's.
    double logged = -1, qAtDrop = -1;
    for (size_t i = 0; i < n; ++i) {
        logged = std::max(logged, s[i].bound);
        if (dropsOf(i) > 0 && hasQ(i))
            qAtDrop = std::max(qAtDrop, qOf(i));
    }
    if (logged > 0) {
        bound = logged;
        boundKnown = true;
        boundText = QStringLiteral("the logged bound %1").arg(fmt(bound));
    } else if (qAtDrop >= 5) {
        bound = qAtDrop;
        boundKnown = true;
        boundText = QStringLiteral("~%1, where drops happen").arg(fmt(bound));
    } else {
        boundText = QStringLiteral("the checklist's %1").arg(fmt(bound));
    }
    fullLevel = std::max(5.0, bound * kFullFraction);

    // A line covering 0.9 or 1.1 s (a logger on a busy loop) says fps for that span: with
    // timestamps, scale to frames per real second. Only for spans near one second: a long gap
    // is a blocked loop or a missing line, whose count is not per second.
    f.resize(n);
    std::vector<double> raw(n), scaled(n);
    int rescaled = 0;
    for (size_t i = 0; i < n; ++i) {
        f[i] = raw[i] = scaled[i] = s[i].fps;
        if (i > 0 && s[i].t >= 0 && s[i - 1].t >= 0 && s[i].tPrecise && s[i - 1].tPrecise) {
            const double dt = s[i].t - s[i - 1].t;
            if (dt >= 0.8 && dt <= 1.25 && std::abs(dt - 1.0) > 0.05) {
                scaled[i] = s[i].fps / dt;
                ++rescaled;
            }
        }
    }
    // Only when the counts follow the intervals (the logger resets its counter when it prints):
    // then scaling steadies the series. A timestamp taken apart from the count (another thread,
    // a buffered handler) only adds noise, and the raw counts are the better reading.
    if (rescaled > 0) {
        auto roughness = [&](const std::vector<double> &v) {
            std::vector<double> d;
            for (size_t i = 1; i < n; ++i)
                if (!isIdle(i) && !isIdle(i - 1))
                    d.push_back(std::abs(v[i] - v[i - 1]));
            return median(std::move(d));
        };
        if (roughness(scaled) < roughness(raw))
            f = scaled;
    }

    st.assign(n, St::Other);
    edge.assign(n, false);
    explained.assign(n, false);
    covered.assign(n, false);
    for (size_t i = 0; i < n; ++i) {
        const double fi = f[i], qq = qOf(i), dr = dropsOf(i);
        const bool qRising = hasQ(i) && i > 0 && hasQ(i - 1) && qq >= kQueueLow && qq > qOf(i - 1);
        if (isIdle(i))
            st[i] = St::Idle;
        else if (fi < kStallFps && (full(i) || dr > 0 || (fi <= 0 && qq > 0) || qRising))
            st[i] = St::Stall;
        else if (std::abs(fi - kNominalFps) <= kBacklogTol && (full(i) || dr > 0 || qq >= kQueueLow))
            st[i] = St::Backlog;
        else if (fi < kLowFps && qq < kQueueLow && dr <= 0)
            st[i] = St::LowEmpty;
        else if (fi > kHighFps && dr <= 0 && !full(i))
            st[i] = St::HighFps;
        else if (std::abs(fi - kNominalFps) <= kHealthyTol && qq < kQueueLow && dr <= 0)
            st[i] = St::Good;
    }
    // Seconds at the start or end of a talk stretch (or of the log) are partial: speech began or
    // ended inside them, so their fps says nothing about pacing.
    for (size_t i = 0; i < n; ++i) {
        if (st[i] == St::Idle) {
            ++counts.idle;
            continue;
        }
        ++counts.active;
        if (qOf(i) < kQueueLow)
            ++counts.qLow;
        edge[i] = (i == 0 || st[i - 1] == St::Idle || i + 1 == n || st[i + 1] == St::Idle);
        if (!edge[i]) {
            ++counts.interior;
            // Good with the ±2 fps a production logger adds: the healthy share is about pacing,
            // not about where a line's second boundary fell.
            if (std::abs(f[i] - kNominalFps) <= 2.0 && qOf(i) < kQueueLow && dropsOf(i) <= 0)
                ++counts.good;
        }
    }
}

void StreamContext::cover(size_t a, size_t b)
{
    for (size_t k = a; k <= b && k < covered.size(); ++k)
        covered[k] = true;
}

void StreamContext::addEvidence(QList<Evidence> &list, size_t i) const
{
    for (const Evidence &e : list)
        if (e.lineNo == s[i].lineNo)
            return;
    if (list.size() >= lim.maxEvidence)
        return;
    list.append(Evidence{s[i].lineNo, s[i].text});
}

QList<Evidence> StreamContext::evidenceFor(size_t a, size_t b, size_t worst, bool withContext) const
{
    QList<Evidence> ev;
    if (withContext && a > 0)
        addEvidence(ev, a - 1);
    addEvidence(ev, a);
    addEvidence(ev, worst);
    for (size_t i = a; i <= b; ++i)
        if (dropsOf(i) > 0) {
            addEvidence(ev, i);
            break;
        }
    addEvidence(ev, b);
    std::sort(ev.begin(), ev.end(), [](const Evidence &x, const Evidence &y) { return x.lineNo < y.lineNo; });
    return ev;
}

StreamResult analyzeStream(const std::vector<MetricLine> &series, const Limits &limits)
{
    StreamContext c(series, limits);
    detectStalls(c);
    detectCatchUp(c);
    detectDrift(c);
    detectBacklog(c);
    detectRate(c);
    detectDrops(c);
    detectRateOff(c);
    StreamResult r = c.counts;
    r.diagnoses = c.out;
    return r;
}

int interleavedStreams(const std::vector<MetricLine> &s)
{
    const size_t n = s.size();
    if (n < 8)
        return 0;
    // Timestamps: two or three metric lines per second of log time.
    std::vector<double> dts;
    for (size_t i = 1; i < n; ++i)
        if (s[i].t >= 0 && s[i - 1].t >= 0)
            dts.push_back(s[i].t - s[i - 1].t);
    int byTime = 0;
    if (dts.size() * 2 >= n) {
        const double m = median(dts);
        if (m > 0.2 && m < 0.4)
            byTime = 3;
        else if (m >= 0.4 && m < 0.65)
            byTime = 2;
        // Timestamps a second apart: one stream, however its numbers swing.
        return byTime;
    }
    // The numbers: each line far from the one before it, close to the one k lines before.
    auto roughness = [&](size_t k) {
        std::vector<double> d;
        for (size_t i = k; i < n; ++i)
            d.push_back(std::abs(s[i].fps - s[i - k].fps) + std::abs(std::max(0.0, s[i].q) - std::max(0.0, s[i - k].q)));
        return median(d);
    };
    const double r1 = roughness(1);
    int byNumbers = 0;
    for (size_t k = 2; k <= 3 && !byNumbers; ++k)
        if (r1 >= 8 && roughness(k) * 4 <= r1)
            byNumbers = int(k);
    if (byNumbers)
        return byNumbers;
    return byTime;
}

} // namespace pacelab::doctor
