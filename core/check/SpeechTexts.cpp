#include "SpeechTexts.h"

namespace pacelab::check {

QStringList longSpeechSentences()
{
    return {
        QStringLiteral("Thank you for calling the city library, where every book has a story and every visitor has a question."),
        QStringLiteral("Our main branch is open from nine in the morning until eight in the evening, Monday through Friday."),
        QStringLiteral("On Saturdays we open at ten and close at five, and on Sundays the reading rooms stay closed."),
        QStringLiteral("If you would like to renew a loan, please have your library card number ready before you continue."),
        QStringLiteral("Most books can be renewed twice, for three weeks each time, unless another reader has reserved them."),
        QStringLiteral("Films, music and magazines may be renewed once, and reference works never leave the building."),
        QStringLiteral("Late returns cost twenty cents per day for adults, and nothing at all for children under twelve."),
        QStringLiteral("You can also return items at any branch, or at the green drop box beside the main entrance."),
        QStringLiteral("The drop box is emptied every morning at eight, so items returned overnight count as returned on time."),
        QStringLiteral("Our study rooms can be booked up to two weeks ahead, for a maximum of three hours per day."),
        QStringLiteral("Each room has a large table, a whiteboard, power sockets and a screen you can connect a laptop to."),
        QStringLiteral("Free wireless internet is available everywhere in the building; the password is printed on your receipt."),
        QStringLiteral("This month the children's department hosts a reading club every Wednesday afternoon at four."),
        QStringLiteral("Teenagers are welcome at the games evening on Fridays, where board games and snacks are provided."),
        QStringLiteral("Adults may join the history circle, which meets on the first Tuesday of every month in room twelve."),
        QStringLiteral("Our volunteers also offer help with computers, phones and online forms every Thursday morning."),
        QStringLiteral("To speak with a librarian about research, interlibrary loans or local history, please stay on the line."),
        QStringLiteral("We value your feedback, so after this call you may be asked to answer three short questions."),
        QStringLiteral("Thank you for your patience, and thank you for supporting your local library."),
    };
}

QStringList greetingSentences()
{
    return {
        QStringLiteral("Hello, and thank you for calling. I am the automated assistant of the city library."),
        QStringLiteral("I can help you renew a loan, book a study room, or find out about our opening hours and events."),
        QStringLiteral("Before we begin, please note that this call may be recorded to help us improve our service."),
        QStringLiteral("Now, tell me in a few words what I can do for you today, and I will do my best to help."),
    };
}

QStringList replySentences()
{
    return {
        QStringLiteral("Of course. Let me look up your loans."),
        QStringLiteral("One moment please."),
    };
}

QStringList shortSentences()
{
    return {
        QStringLiteral("Hello."),
        QStringLiteral("Thanks for calling."),
        QStringLiteral("This is the library."),
        QStringLiteral("I can renew your loans."),
        QStringLiteral("I can book a room."),
        QStringLiteral("I know our opening hours."),
        QStringLiteral("What do you need?"),
        QStringLiteral("Take your time."),
        QStringLiteral("I am listening."),
        QStringLiteral("Just say the word."),
        QStringLiteral("Renewals are free."),
        QStringLiteral("Rooms are quiet."),
        QStringLiteral("We open at nine."),
        QStringLiteral("We close at eight."),
        QStringLiteral("Saturdays until five."),
        QStringLiteral("Sundays we rest."),
        QStringLiteral("Still there?"),
        QStringLiteral("Let me know."),
        QStringLiteral("I can wait."),
        QStringLiteral("Whenever you are ready."),
    };
}

QString callerBargeInText()
{
    return QStringLiteral("Sorry, I just want to renew my books.");
}

} // namespace pacelab::check
