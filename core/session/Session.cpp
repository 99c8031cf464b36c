#include "session/Session.h"

#include "replay/Capture.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>

namespace pacelab {

void Session::ThreadStopper::operator()(QThread *t) const
{
    t->quit();
    t->wait();
    delete t;
}

std::unique_ptr<Session> Session::create(SessionConfig cfg, QString *error, QObject *parent)
{
    if (const QString problem = cfg.validate(); !problem.isEmpty()) {
        *error = problem;
        return nullptr;
    }
    std::unique_ptr<Session> s(new Session(std::move(cfg), parent));
    if (!s->m_cfg.capturePath.isEmpty()) {
        auto writer = std::make_shared<capture::CaptureWriter>();
        if (!writer->open(s->m_cfg.capturePath, capture::withProvider(s->m_cfg.captureHeader, provider::name(s->m_cfg.provider())))) {
            *error = QStringLiteral("cannot write the capture %1: %2").arg(s->m_cfg.capturePath, writer->errorString());
            return nullptr;
        }
        s->m_capture = writer;
        // The sender side is recorded from the sender thread itself, right after each socket
        // write, so the capture has the real send times. A tap the caller set still runs.
        auto previous = s->m_cfg.sender.messageTap;
        s->m_cfg.sender.messageTap = [writer, previous](qint64 tUs, bool outbound, bool binary, const QByteArray &data) {
            writer->recordMessage(outbound ? capture::Dir::Out : capture::Dir::In,
                                  binary ? capture::MsgKind::Binary : capture::MsgKind::Text, data, tUs);
            if (previous)
                previous(tUs, outbound, binary, data);
        };
    }
    return s;
}

Session::Session(SessionConfig cfg, QObject *parent)
    : QObject(parent), m_cfg(std::move(cfg))
{
    qRegisterMetaType<pacelab::TelemetrySnapshot>();
    qRegisterMetaType<pacelab::PerSecondRx>();
    qRegisterMetaType<pacelab::Violation>();
    qRegisterMetaType<pacelab::BargeInResult>();
}

Session::~Session()
{
    m_engine.reset(); // queued audio discarded, socket closed, sender thread joined
    stopEmulator();
    if (m_capture)
        m_capture->close();
}

SenderEngine *Session::engine()
{
    if (!m_engine) {
        m_engine = std::make_unique<SenderEngine>(m_cfg.sender);
        if (m_capture) {
            const std::shared_ptr<capture::CaptureWriter> writer = m_capture;
            connect(m_engine.get(), &SenderEngine::telemetry, this,
                    [writer](const TelemetrySnapshot &s) { writer->recordTxTelemetry(s.toJson()); });
        }
    }
    return m_engine.get();
}

bool Session::stopEngine(int waitMs)
{
    if (!m_engine)
        return true;
    auto settled = [this] {
        const SenderEngine::State st = m_engine->state();
        return st == SenderEngine::Idle || st == SenderEngine::Error;
    };
    if (settled())
        return true;
    QEventLoop loop;
    connect(m_engine.get(), &SenderEngine::stateChanged, &loop, [&loop, settled] {
        if (settled())
            loop.quit();
    });
    QTimer::singleShot(waitMs, &loop, &QEventLoop::quit);
    m_engine->stop();
    if (!settled())
        loop.exec();
    return settled();
}

bool Session::waitEmulatorFrames(qint64 frames, int waitMs)
{
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        const qint64 got = onEmulator([](TwilioEmulator &e) { return e.stats().frames; }).value_or(-1);
        if (got < 0)
            return false;
        if (got >= frames)
            return true;
        if (clock.elapsed() >= waitMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::msleep(5);
    }
}

TwilioEmulator *Session::createEmulator()
{
    stopEmulator();
    m_emuThread.reset(new QThread);
    m_emuThread->setObjectName(QStringLiteral("emulator"));
    auto *emu = new TwilioEmulator;
    m_emuCaller = new ThreadCaller(emu); // moves with the emulator, dies with it
    emu->setOptions(m_cfg.emulator);
    emu->moveToThread(m_emuThread.get());
    connect(m_emuThread.get(), &QThread::finished, emu, &QObject::deleteLater);
    if (m_capture) {
        // Recorded on the emulator's thread as each second closes (the writer is thread-safe).
        const std::shared_ptr<capture::CaptureWriter> writer = m_capture;
        connect(emu, &TwilioEmulator::secondTick, emu,
                [writer](const PerSecondRx &rx) { writer->recordRxSecond(rx.toJson()); }, Qt::DirectConnection);
    }
    m_emuThread->start();
    m_emulator = emu;
    return emu;
}

bool Session::startEmulator(QString *error)
{
    createEmulator();
    return listenEmulator(error);
}

bool Session::listenEmulator(QString *error)
{
    TwilioEmulator *emu = m_emulator;
    if (!emu || !m_emuCaller) {
        *error = QStringLiteral("the built-in emulator was not created");
        return false;
    }
    struct Listening
    {
        QUrl url;
        QString error;
    };
    const Listening l = m_emuCaller->call([emu] {
                            if (emu->listen(QHostAddress::LocalHost, 0))
                                return Listening{emu->serverUrl(), QString()};
                            return Listening{QUrl(), emu->errorString()};
                        }).value_or(Listening{QUrl(), QStringLiteral("the emulator thread is not running")});
    if (l.url.isEmpty()) {
        *error = QStringLiteral("the built-in emulator cannot listen on 127.0.0.1: %1").arg(l.error);
        stopEmulator();
        return false;
    }
    m_emuUrl = l.url;
    return true;
}

bool Session::startEmulatorToBot(const QUrl &url, const EmulatorOptions &options, QString *error)
{
    TwilioEmulator *emu = createEmulator();
    const auto connected = m_emuCaller->call([emu, url, options] {
        return emu->connectToBot(url, options) ? QString() : emu->errorString();
    });
    const QString problem = connected ? *connected : QStringLiteral("the emulator thread is not running");
    if (!problem.isEmpty()) {
        *error = problem;
        stopEmulator();
        return false;
    }
    m_emuUrl = url;
    return true;
}

bool Session::connectToEmulator(QString *error)
{
    if (!startEmulator(error))
        return false;
    engine()->connectTo(m_emuUrl);
    return true;
}

void Session::stopEmulator()
{
    if (m_emulator) {
        // Disconnected first: the owner hears nothing more from a session it is ending.
        m_emulator->disconnect();
        onEmulator([](TwilioEmulator &e) {
            e.stop();
            return true;
        });
    }
    m_emuThread.reset(); // quit + wait; the emulator is deleted on its own thread
    m_emulator = nullptr;
    m_emuCaller = nullptr;
    m_emuUrl.clear();
}

qint64 Session::closeCapture(QString *error)
{
    if (!m_capture)
        return 0;
    m_capture->close();
    if (!m_capture->errorString().isEmpty()) {
        *error = m_capture->errorString();
        return -1;
    }
    return m_capture->recordsWritten();
}

} // namespace pacelab
