#pragma once

#include <QString>
#include <QStringList>

// What the checklist's TTS says: a long read-out for E2, a bot's greeting and reply and a
// caller's interruption for E3 and the reference bot.
namespace pacelab::check {

QStringList longSpeechSentences(); // about 70 s at espeak's default rate; E2 cycles if needed
QStringList greetingSentences();   // long enough to be interrupted
QStringList replySentences();      // a few seconds
QString callerBargeInText();
QStringList shortSentences();      // ~1 s each: frequent marks for the test-your-bot set

} // namespace pacelab::check
