// Log doctor (core/doctor): the metric-line parser on every line of the input, then
// the whole streaming analyser (sniffing, line splitting, block analysis, report) with small
// limits so short inputs reach the truncation, block and decimation paths. Checks the bounds the
// report promises.
#include "FuzzCheck.h"

#include "doctor/Follower.h"
#include "doctor/LogDoctor.h"

#include <QByteArray>
#include <QByteArrayView>

#include <cmath>

using namespace pacelab::doctor;

namespace {

void checkLine(QByteArrayView line, qint64 lineNo)
{
    const std::optional<MetricLine> m = parseMetricLine(line, lineNo);
    if (!m)
        return;
    FUZZ_CHECK(m->lineNo == lineNo, "line number");
    FUZZ_CHECK(std::isfinite(m->fps) && m->fps >= 0 && m->fps <= 100000, "fps %g", m->fps);
    FUZZ_CHECK(std::isfinite(m->q) && m->q >= -1, "q %g", m->q);
    FUZZ_CHECK(std::isfinite(m->drops) && m->drops >= -1, "drops %g", m->drops);
    FUZZ_CHECK(std::isfinite(m->bound), "bound %g", m->bound);
    FUZZ_CHECK(m->q >= 0 || m->drops >= 0, "a metric line needs q or drops");
    (void)m->toJson();
}

void checkReport(const Report &r, const Limits &lim)
{
    const QString text = r.toText();
    const QJsonObject json = r.toJson();
    FUZZ_CHECK(!text.isEmpty() && !json.isEmpty(), "empty report");
    const int code = r.exitCode();
    FUZZ_CHECK(code >= 0 && code <= 2, "exit code %d", code);
    if (!r.inputOk) {
        FUZZ_CHECK(code == 2 && !r.error.isEmpty(), "unusable input: code %d, error '%s'", code, qPrintable(r.error));
        return;
    }
    FUZZ_CHECK(r.metricLines <= r.totalLines, "%lld metric lines of %lld", qlonglong(r.metricLines),
               qlonglong(r.totalLines));
    FUZZ_CHECK(r.series.size() <= lim.maxSeries && r.series.size() <= r.metricLines, "series %lld",
               qlonglong(r.series.size()));
    FUZZ_CHECK(r.plot.size() <= lim.maxPlotPoints, "plot %lld points", qlonglong(r.plot.size()));
    FUZZ_CHECK(r.truncatedLines <= r.totalLines && r.binaryLines <= r.totalLines, "line counters");
    if (r.hasMetrics()) {
        const double slack = 1e-9 * std::max(1.0, std::abs(r.fpsMax));
        FUZZ_CHECK(r.fpsMin <= r.fpsMean + slack && r.fpsMean <= r.fpsMax + slack, "fps min %g mean %g max %g",
                   r.fpsMin, r.fpsMean, r.fpsMax);
        FUZZ_CHECK(!r.plot.isEmpty() && r.plotStride >= 1, "no plot for %lld metric lines", qlonglong(r.metricLines));
        FUZZ_CHECK(std::isfinite(r.dropsTotal) && r.dropsTotal >= 0, "drops total %g", r.dropsTotal);
    }
    for (const Diagnosis &d : r.diagnoses) {
        FUZZ_CHECK(!d.title.isEmpty(), "diagnosis without a title");
        FUZZ_CHECK(d.evidence.size() <= lim.maxEvidence, "%lld evidence lines", qlonglong(d.evidence.size()));
        for (const Evidence &e : d.evidence)
            FUZZ_CHECK(e.lineNo >= 1 && e.lineNo <= r.totalLines, "evidence line %lld of %lld",
                       qlonglong(e.lineNo), qlonglong(r.totalLines));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    // 1. The line parser alone, on every line.
    qint64 lineNo = 0;
    for (qsizetype pos = 0; pos <= bytes.size();) {
        qsizetype nl = bytes.sliced(pos).indexOf('\n');
        const qsizetype end = nl < 0 ? bytes.size() : pos + nl;
        checkLine(bytes.sliced(pos, end - pos), ++lineNo);
        pos = end + 1;
    }

    // 2. The streaming analyser, fed in uneven chunks, with the smallest limits it accepts.
    Limits lim;
    lim.maxLineBytes = 256;
    lim.blockLines = 100;
    lim.maxSeries = 50;
    lim.maxPlotPoints = 16;
    lim.maxEvidence = 2;
    lim.maxCitedChars = 40;
    LogDoctor doctor(lim);
    const qsizetype chunk = size > 0 ? 1 + data[0] % 97 : 1;
    for (qsizetype pos = 0; pos < bytes.size(); pos += chunk)
        doctor.addData(bytes.sliced(pos, std::min(chunk, bytes.size() - pos)));
    checkReport(doctor.finish(), lim);

    // 3. Line-by-line entry (what a caller that splits lines itself uses), default limits.
    LogDoctor byLine;
    for (qsizetype pos = 0; pos < bytes.size();) {
        qsizetype nl = bytes.sliced(pos).indexOf('\n');
        const qsizetype end = nl < 0 ? bytes.size() : pos + nl;
        byLine.addLine(bytes.sliced(pos, end - pos));
        pos = end + 1;
    }
    checkReport(byLine.finish(), Limits());

    // 4. Live: the follower (windows per stream, verdict changes) and a snapshot mid-input.
    Follower live(lim, 8);
    for (qsizetype pos = 0; pos < bytes.size(); pos += chunk) {
        live.addData(bytes.sliced(pos, std::min(chunk, bytes.size() - pos)));
        for (const Verdict &v : live.takeChanges())
            FUZZ_CHECK(v.lineNo >= 1 && !v.toLine().isEmpty(), "verdict line %lld", qlonglong(v.lineNo));
    }
    checkReport(live.report(), lim);
    checkReport(live.finish(), lim);
    return 0;
}
